/** Whether a chat follows the app's decoding settings or has its own (then the decoding form follows it). */
export function ChatDecodingChoice({ own, onChange }: { own: boolean; onChange(own: boolean): void }) {
  return (
    <fieldset className="chat-decoding-choice">
      <legend>Decoding settings for this chat</legend>
      <label>
        <input
          type="radio"
          name="chat-decoding"
          data-testid="chat-use-global"
          checked={!own}
          onChange={() => onChange(false)}
        />{' '}
        Use the app settings (Settings → Decoding)
      </label>
      <label>
        <input
          type="radio"
          name="chat-decoding"
          data-testid="chat-use-own"
          checked={own}
          onChange={() => onChange(true)}
        />{' '}
        Use settings of its own
      </label>
    </fieldset>
  );
}
