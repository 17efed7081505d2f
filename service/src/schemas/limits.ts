/** Bounds shared by the request schemas, the database constraints and the repository. */
export const MAX_QUANTITY = 99;
export const MAX_LINES_PER_CART = 50;
export const SKU_PATTERN = '^[A-Z0-9][A-Z0-9-]{0,39}$';
export const BODY_LIMIT_BYTES = 16 * 1024;
