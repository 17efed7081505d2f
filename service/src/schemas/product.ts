import { type Static, Type } from '@fastify/type-provider-typebox';
import { Cents, Sku } from './common.js';

export const Product = Type.Object(
  { sku: Sku, name: Type.String(), priceCents: Cents, imageUrl: Type.String() },
  { additionalProperties: false },
);
export type Product = Static<typeof Product>;
