// Straight from TypeBox: the type provider's runtime entry loads TypeBox's compiler, which Fastify never uses
// here (it validates with its own Ajv), and costs a large share of start-up.
import { type Static, Type } from '@sinclair/typebox';
import { Cents, Sku } from './common.js';
import { MAX_QUANTITY } from './limits.js';

const Quantity = Type.Integer({ minimum: 1, maximum: MAX_QUANTITY });

export const CartId = Type.String({ format: 'uuid', maxLength: 36 });

export const CartLine = Type.Object(
  { sku: Sku, name: Type.String(), quantity: Quantity, unitPriceCents: Cents, lineTotalCents: Cents },
  { additionalProperties: false },
);
export type CartLine = Static<typeof CartLine>;

export const Cart = Type.Object(
  {
    id: CartId,
    status: Type.Union([Type.Literal('open'), Type.Literal('checked_out')]),
    lines: Type.Array(CartLine),
    totalCents: Cents,
  },
  { additionalProperties: false },
);
export type Cart = Static<typeof Cart>;

export const Order = Type.Object(
  { orderId: Type.String({ format: 'uuid' }), lines: Type.Array(CartLine), totalCents: Cents },
  { additionalProperties: false },
);
export type Order = Static<typeof Order>;

export const CartParams = Type.Object({ cartId: CartId }, { additionalProperties: false });
export const CartItemParams = Type.Object({ cartId: CartId, sku: Sku }, { additionalProperties: false });

export const AddItemBody = Type.Object({ sku: Sku, quantity: Quantity }, { additionalProperties: false });
export type AddItemBody = Static<typeof AddItemBody>;

export const SetQuantityBody = Type.Object(
  { quantity: Type.Integer({ minimum: 0, maximum: MAX_QUANTITY, description: '0 removes the line.' }) },
  { additionalProperties: false },
);
