/** The hovered or focused token of a replay: its block, step, confidence and rank in its block (read aloud politely). */
import type { ReplayIndex } from '../../../common/trace';
import { tokenDetails } from '../lib/replay';

/** Token text with its whitespace visible (the text itself is rendered as text, never as markup). */
const visible = (s: string) => JSON.stringify(s).slice(1, -1);

export function TokenDetails({
  ix,
  rel,
  step,
  side,
}: {
  ix: ReplayIndex;
  rel: number | null;
  step: number;
  side?: string;
}) {
  if (rel === null || rel < 0 || rel >= ix.genLength)
    return (
      <div className="token-details muted" data-testid="token-details" aria-live="polite">
        Hover or focus a token to see when and how confidently it was decoded.
      </div>
    );
  const d = tokenDetails(ix, rel, step);
  const state =
    d.state === 'committed'
      ? null
      : d.state === 'eos-fill'
        ? 'EOS written by the end-of-sequence rule after the last step'
        : d.state === 'masked'
          ? `masked at this step (decoded at step ${ix.stepOf[rel] + 1})`
          : 'never decoded (past the end of the answer, or the run stopped)';
  return (
    <dl className="token-details" data-testid="token-details" aria-live="polite">
      {side && (
        <div>
          <dt>Run</dt>
          <dd>{side}</dd>
        </div>
      )}
      <div>
        <dt>Position</dt>
        <dd>{d.position + 1}</dd>
      </div>
      {d.state !== 'masked' && d.state !== 'never' && (
        <div>
          <dt>Token</dt>
          <dd>
            <code>{visible(d.text)}</code> <span className="muted">#{d.tokenId}</span>
          </dd>
        </div>
      )}
      <div>
        <dt>Block</dt>
        <dd>{d.block}</dd>
      </div>
      {state ? (
        <div className="token-state">
          <dt>State</dt>
          <dd>{state}</dd>
        </div>
      ) : (
        <>
          <div>
            <dt>Step</dt>
            <dd>
              {d.stepInBlock} in its block · {d.globalStep} overall
            </dd>
          </div>
          <div>
            <dt>Confidence</dt>
            <dd>{d.confidence!.toFixed(4)}</dd>
          </div>
          <div>
            <dt>Rank in block</dt>
            <dd>
              {d.rank} of {d.blockCommits}
            </dd>
          </div>
          {d.alternatives && (
            <div>
              <dt>Candidates</dt>
              <dd data-testid="token-candidates">
                <ol className="token-candidates">
                  {d.alternatives.map((a) => (
                    <li key={a.tokenId} className={a.tokenId === d.tokenId ? 'chosen' : undefined}>
                      <code>{visible(a.text)}</code> {a.probability.toFixed(4)}
                    </li>
                  ))}
                </ol>
              </dd>
            </div>
          )}
        </>
      )}
    </dl>
  );
}
