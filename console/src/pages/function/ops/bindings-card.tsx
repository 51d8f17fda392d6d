// What the function's `env` holds and what it may reach: bindings, vars, egress, limits.
import { Fragment } from 'preact';
import { Link } from 'wouter-preact';
import type { Binding, FunctionSummary } from '../../../api/types.js';
import { formatMs } from '../../../components/format.js';
import { Badge, Card } from '../../../components/ui.js';
import { OpsSection } from './ops-section.js';

const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The component (or function) a binding reaches, said in a few words. */
function BindingTarget(props: { binding: Binding }) {
  const { binding } = props;
  switch (binding.type) {
    case 'service':
      return (
        <>
          function <Link href={`/functions/${text(binding.function)}`}>{text(binding.function)}</Link>
        </>
      );
    case 'pubsub':
      return (
        <>
          topic <code>{text(binding.topic)}</code> on <code>{text(binding.pubsub)}</code>
        </>
      );
    case 'queue':
      return (
        <>
          topic <code>{text(binding.topic)}</code>
          {binding.pubsub !== undefined && (
            <>
              {' '}
              on <code>{text(binding.pubsub)}</code>
            </>
          )}
        </>
      );
    default: {
      const rest = Object.entries(binding).filter(([key]) => key !== 'type');
      return (
        <>
          {rest.map(([key, value], index) => (
            <span key={key}>
              {index > 0 && ' · '}
              {key === 'store' ? '' : `${key} `}
              <code>{text(value)}</code>
            </span>
          ))}
        </>
      );
    }
  }
}

interface RateLimit {
  qps: number;
  burst?: number;
}

/** env bindings, vars, egress hosts and limits of the version `latest` serves. */
export function BindingsCard(props: { fn: FunctionSummary }) {
  const { manifest } = props.fn;
  const bindings = Object.entries(manifest.bindings);
  const vars = Object.entries(manifest.vars);
  const rateLimit = manifest.limits.rateLimit as RateLimit | undefined;
  return (
    <Card title="Bindings and limits">
      <OpsSection title="Bindings">
        {bindings.length === 0 ? (
          <p class="help">None: the function reaches no store, topic or other function.</p>
        ) : (
          <div class="table-wrap">
            <table class="ops-table">
              <thead>
                <tr>
                  <th scope="col">env</th>
                  <th scope="col">Type</th>
                  <th scope="col">Reaches</th>
                </tr>
              </thead>
              <tbody>
                {bindings.map(([name, binding]) => (
                  <tr key={name}>
                    <td class="mono">{name}</td>
                    <td>
                      <Badge>{binding.type}</Badge>
                    </td>
                    <td>
                      <BindingTarget binding={binding} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </OpsSection>
      <OpsSection title="Vars">
        {vars.length === 0 ? (
          <p class="help">None.</p>
        ) : (
          <dl class="ops-kv ops-vars">
            {vars.map(([name, value]) => (
              <Fragment key={name}>
                <dt class="mono">{name}</dt>
                <dd class="mono">{value === '' ? <span class="muted">(empty)</span> : value}</dd>
              </Fragment>
            ))}
          </dl>
        )}
      </OpsSection>
      <OpsSection title="Egress">
        {manifest.egress.length === 0 ? (
          <p class="help">
            None: <code>fetch</code> cannot reach any host.
          </p>
        ) : (
          <ul class="ops-hosts">
            {manifest.egress.map((host) => (
              <li key={host}>
                <code>{host}</code>
              </li>
            ))}
          </ul>
        )}
      </OpsSection>
      <OpsSection title="Limits">
        <dl class="ops-kv">
          <dt>Memory</dt>
          <dd>{manifest.limits.memoryMb} MB per instance</dd>
          <dt>Timeout</dt>
          <dd>{formatMs(manifest.limits.timeoutMs)}</dd>
          <dt>Concurrency</dt>
          <dd>{manifest.limits.concurrency} per instance</dd>
          {manifest.limits.maxInFlight !== undefined && (
            <>
              <dt>In flight</dt>
              <dd>at most {manifest.limits.maxInFlight} across the platform</dd>
            </>
          )}
          {rateLimit !== undefined && (
            <>
              <dt>Rate limit</dt>
              <dd>
                {rateLimit.qps} requests/s{rateLimit.burst !== undefined && `, bursts of ${rateLimit.burst}`}
              </dd>
            </>
          )}
        </dl>
      </OpsSection>
    </Card>
  );
}
