import { defineConfig } from 'vitest/config';

// aws-local-stepfunctions needs Node 22 (Promise.withResolvers); on Node 20 every Task fails
// *catchably*, which a Retry/Catch path would silently hide. Refuse to run on the wrong Node.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  throw new Error(
    `Tests need Node 22 but this is Node ${process.versions.node}. Run them with \`npm test\` or \`npx vitest\`, which use the Node 22 pinned in node_modules/.bin (not ./node_modules/.bin/vitest, whose shebang picks the system node).`,
  );
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Handlers read these at load; no test needs (or may use) real credentials or endpoints.
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      POWERTOOLS_SERVICE_NAME: 'vpn-guard-test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_DEV: 'false',
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
