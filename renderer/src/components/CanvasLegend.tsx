/** The canvas's colour modes: a switch between them (optional) and what the current mode's colours mean. */
import { legendItems, MASK_GLYPH, type ColourMode } from '../lib/canvas-grid';

const MODE_LABEL: Record<ColourMode, string> = { step: 'Latest step', confidence: 'Confidence', order: 'Decode order' };

export function CanvasLegend({
  mode,
  onMode,
  modes = ['step', 'confidence', 'order'],
  totalSteps = 0,
}: {
  mode: ColourMode;
  /** Given: the modes are buttons to switch with. */
  onMode?: (mode: ColourMode) => void;
  modes?: readonly ColourMode[];
  /** The run's steps, to label the decode-order ramp. */
  totalSteps?: number;
}) {
  return (
    <div className="cg-legend" data-testid="canvas-legend">
      {onMode && (
        <span className="cg-modes" role="group" aria-label="Colour tokens by">
          {modes.map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={m === mode}
              className={m === mode ? 'cg-mode cg-mode-on' : 'cg-mode'}
              data-testid={`canvas-mode-${m}`}
              onClick={() => onMode(m)}
            >
              {MODE_LABEL[m]}
            </button>
          ))}
        </span>
      )}
      <span className="cg-swatches" role="group" aria-label={`${MODE_LABEL[mode]} colours`}>
        {legendItems(mode, totalSteps).map((item, i) => (
          <span key={i} className="cg-swatch-item">
            <span
              className="cg-swatch"
              style={{ color: item.color || undefined, background: item.background || undefined }}
            >
              Aa
            </span>
            {item.label}
          </span>
        ))}
        <span className="cg-swatch-item">
          <span className="cg-mask-sample">{MASK_GLYPH}</span> masked
        </span>
        <span className="cg-swatch-item">
          <span className="cg-eos-sample">EOS</span> end of sequence
        </span>
      </span>
    </div>
  );
}
