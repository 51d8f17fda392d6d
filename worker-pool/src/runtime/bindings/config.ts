// env.NAME for `{ type: config }`: get items, and subscribe to their changes. A subscription's
// stream is held by the host (one per subscription, closed on unsubscribe and when the instance
// is disposed); each change reaches the isolate through deliverConfigUpdate(), which the host
// calls outside any invocation, under the function's CPU time limit, as it does runTimers().
import { writeLog } from '../log-capture.js';
import { isPromise, jsonParse } from '../primordials.js';
import { formatValue } from '../web/console-format.js';
import { callName, functionArg, stringListArg } from './arguments.js';
import { callBinding, closeSubscription, jsonArray } from './sidecar-call.js';
import type { ConfigBinding, ConfigItem } from './types.js';

type OnChange = (items: Record<string, ConfigItem>) => unknown;

// A null-prototype record rather than a Map: user code may patch Map.prototype.
const subscriptions = Object.create(null) as Record<number, { binding: string; onChange: OnChange }>;
let lastSubscriptionId = 0;
const reflectApply = Reflect.apply;

export function configBinding(name: string): ConfigBinding {
  return {
    async get(keys: string | readonly string[]) {
      return (await callBinding(name, 'get', jsonArray([stringListArg(keys, `${callName(name, 'get')}: keys`)]))) as Record<string, ConfigItem>;
    },
    async subscribe(keys: string | readonly string[], onChange: OnChange) {
      const what = callName(name, 'subscribe');
      const keysJson = stringListArg(keys, `${what}: keys`);
      const callback = functionArg<OnChange>(onChange, `${what}: onChange`);
      const id = ++lastSubscriptionId;
      subscriptions[id] = { binding: name, onChange: callback };
      try {
        await callBinding(name, 'subscribe', jsonArray([keysJson]), id);
      } catch (error) {
        delete subscriptions[id];
        throw error;
      }
      return () => {
        if (subscriptions[id] === undefined) return;
        delete subscriptions[id];
        // Nothing to wait for: no update reaches the callback from now on.
        closeSubscription(name, id).catch(() => undefined);
      };
    },
  };
}

/** See IsolaRuntime.deliverConfigUpdate. */
export function deliverConfigUpdate(subscriptionId: number, itemsJson: string | null): void {
  const subscription = subscriptions[subscriptionId];
  if (subscription === undefined) return; // unsubscribed while the update was on its way
  if (itemsJson === null) {
    delete subscriptions[subscriptionId];
    writeLog('warn', `[isola] the sidecar ended the subscription of env.${subscription.binding}; subscribe again to keep following changes`);
    return;
  }
  const report = (error: unknown) => writeLog('error', `[isola] uncaught error in the onChange callback of env.${subscription.binding}.subscribe(): ${formatValue(error)}`);
  try {
    const returned = reflectApply(subscription.onChange, undefined, [jsonParse(itemsJson)]);
    if (isPromise(returned)) returned.then(undefined, report);
  } catch (error) {
    report(error);
  }
}
