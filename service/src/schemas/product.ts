// Straight from TypeBox: the type provider's runtime entry loads TypeBox's compiler, which Fastify never uses
// here (it validates with its own Ajv), and costs a large share of start-up.
import { type Static, Type } from '@sinclair/typebox';
import { Cents, Sku } from './common.js';

export const Product = Type.Object(
  { sku: Sku, name: Type.String(), priceCents: Cents, imageUrl: Type.String() },
  { additionalProperties: false },
);
export type Product = Static<typeof Product>;
