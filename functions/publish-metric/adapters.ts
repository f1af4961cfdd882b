/** PutMetricData, in as few calls as the API allows. */
import { type CloudWatchClient, PutMetricDataCommand, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import { MetricPublishError, rethrowAs } from '#shared/errors.ts';
import { LINK_DIMENSION } from '#shared/metric-names.ts';
import { batches, type Datum } from './datums.ts';

/** Publishes `datums` under `namespace`; returns the number of calls made. Any failed call throws. */
export async function putDatums(
  client: CloudWatchClient,
  namespace: string,
  datums: readonly Datum[],
  { signal }: { signal?: AbortSignal } = {},
): Promise<number> {
  const calls = batches(datums);
  await Promise.all(
    calls.map(async (batch) => {
      try {
        await client.send(
          new PutMetricDataCommand({
            Namespace: namespace,
            MetricData: batch.map((datum) => ({
              MetricName: datum.metricName,
              Dimensions: [{ Name: LINK_DIMENSION, Value: datum.link }],
              Value: datum.value,
              Unit: datum.unit as StandardUnit,
              Timestamp: new Date(datum.timestamp),
            })),
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        rethrowAs(error, (message, options) => new MetricPublishError(message, options), 'PutMetricData');
      }
    }),
  );
  return calls.length;
}
