import { Link } from 'wouter-preact';
import type { ApiError } from '../../../api/client.js';
import { shortHash } from '../../../components/format.js';
import { Notice } from '../../../components/ui.js';
import type { PlacedProblems } from './deploy-problems.js';

export interface Deployed {
  name: string;
  version: number;
  codeHash: string;
  promoted: boolean;
}

/** What a deploy made, and where to go next. */
export function DeployedNotice(props: { deployed: Deployed }) {
  const { deployed } = props;
  return (
    <Notice kind="success">
      <strong>
        Deployed {deployed.name} version {deployed.version}
      </strong>{' '}
      <span>
        (<code>{shortHash(deployed.codeHash)}</code>){' '}
        {deployed.promoted ? <>latest now serves it.</> : <>latest still serves its version: send the new one some traffic from the Traffic tab.</>}
      </span>
      <span class="row deploy-next">
        <Link class="button button-small" href={`/functions/${deployed.name}/versions`}>
          See versions
        </Link>
        <Link class="button button-small" href={`/functions/${deployed.name}/invoke`}>
          Test invoke
        </Link>
        {!deployed.promoted && (
          <Link class="button button-small" href={`/functions/${deployed.name}/traffic`}>
            Split traffic
          </Link>
        )}
      </span>
    </Notice>
  );
}

/** One line above the problems saying what kind of refusal it was. */
export function refusalSummary(error: ApiError, placed: PlacedProblems): string {
  const what = error.code === 'INVALID_MANIFEST' ? 'The manifest has problems' : error.code === 'BUNDLE_FAILED' ? 'The code does not bundle' : error.message;
  const where = placed.byFile.size > 0 ? 'They are marked in the files and listed under Problems.' : placed.unplaced.length > 0 ? 'See Problems below.' : '';
  return `${what}. ${where}`.trim();
}
