import type { ProductionWeights } from './constructs/web-service.js';
import { PRODUCTION_WEIGHTS_CONTEXT_KEY } from './naming.js';

const WEIGHTS = /^(\d{1,3})\/(\d{1,3})$/;

/** Reads `<primary>/<alternate>` from the CDK context value; undefined or empty means "not given". */
export function resolveProductionWeights(contextValue: unknown): ProductionWeights | undefined {
  if (contextValue === undefined || contextValue === null || contextValue === '') return undefined;
  const match = typeof contextValue === 'string' ? WEIGHTS.exec(contextValue) : null;
  if (!match || Number(match[1]) + Number(match[2]) === 0) {
    throw new Error(
      `context ${PRODUCTION_WEIGHTS_CONTEXT_KEY} = ${JSON.stringify(contextValue)}: expected <primary>/<alternate> ALB weights (0-999, not both 0), e.g. -c ${PRODUCTION_WEIGHTS_CONTEXT_KEY}=0/100`,
    );
  }
  return { primary: Number(match[1]), alternate: Number(match[2]) };
}
