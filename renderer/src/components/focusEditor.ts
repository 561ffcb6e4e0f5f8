import { getActiveEditor } from '../editor/active-editor';

/** The infill bar's buttons go away once used: give the keyboard back to the editor. */
export const thenFocusEditor = (action: () => void) => () => {
  action();
  getActiveEditor()?.editor.focus();
};
