import type { ProductionWeights } from './constructs/web-service.js';
import { PRODUCTION_WEIGHTS_CONTEXT_KEY } from './naming.js';

const WEIGHTS = /^(\d{1,3})\/(\d{1,3})$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads one web service's `<primary>/<alternate>` from the CDK context value: an object by service name
 * (`{ "web": "0/100" }`), or, from a CLI that predates several services, one string meaning the first web
 * service's (`firstWeb`). Undefined or empty means "not given".
 */
export function resolveProductionWeights(
  contextValue: unknown,
  service: string,
  firstWeb = service,
): ProductionWeights | undefined {
  if (contextValue === undefined || contextValue === null || contextValue === '') return undefined;
  if (isRecord(contextValue))
    return parse(contextValue[service], `${PRODUCTION_WEIGHTS_CONTEXT_KEY}.${service}`);
  if (typeof contextValue === 'string' && service !== firstWeb) return undefined;
  return parse(contextValue, PRODUCTION_WEIGHTS_CONTEXT_KEY);
}

function parse(value: unknown, where: string): ProductionWeights | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const match = typeof value === 'string' ? WEIGHTS.exec(value) : null;
  if (!match || Number(match[1]) + Number(match[2]) === 0) {
    throw new Error(
      `context ${where} = ${JSON.stringify(value)}: expected <primary>/<alternate> ALB weights (0-999, not both 0), e.g. "0/100"`,
    );
  }
  return { primary: Number(match[1]), alternate: Number(match[2]) };
}
