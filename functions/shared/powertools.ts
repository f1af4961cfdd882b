/**
 * Powertools Logger shared by every function (service name from POWERTOOLS_SERVICE_NAME). X-Ray
 * tracing, when the config enables it, is wired in tracing.ts so that bundles without it carry no
 * X-Ray SDK.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** The service name every function logs (and, with tracing on, traces) under. */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME ?? 'vpn-guard';

export const logger = new Logger({ serviceName: SERVICE_NAME });
