import { Type } from '@sinclair/typebox';
import { SKU_PATTERN } from './limits.js';

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable machine-readable code, e.g. cart_not_found.' }),
    message: Type.String({ description: 'A sentence for people.' }),
  },
  { additionalProperties: false },
);

export const Sku = Type.String({ pattern: SKU_PATTERN, maxLength: 40, examples: ['BERTH-MUG'] });
export const Cents = Type.Integer({ minimum: 0, description: 'Money in integer cents.' });
