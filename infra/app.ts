/**
 * CDK entry point (`cdk.json`: `tsx infra/app.ts`). A bad config prints what to fix and exits 1,
 * without a stack trace: it is the user's input, not a bug.
 */
import { App } from 'aws-cdk-lib';
import { isUserFacingError } from './errors.ts';
import { buildVpnGuardApp } from './vpn-guard-app.ts';

const app = new App();
try {
  buildVpnGuardApp(app);
} catch (error) {
  if (!isUserFacingError(error)) throw error;
  console.error(error.message);
  process.exit(1);
}
app.synth();
