/**
 * The in-page confirmation before a command goes to more than one board: a modal <dialog> that
 * names the command, the count and the boards, answered by Confirm or Cancel (Escape cancels).
 */
const $ = (id) => document.getElementById(id);
const SHOWN = 24;

/** Resolves true when the user confirms `what` (`reboot`) on `ids`. */
export function confirmBoards(what, ids) {
  const dialog = $('confirm');
  $('confirm-title').textContent = `${what[0].toUpperCase()}${what.slice(1)}: ${ids.length} boards?`;
  $('confirm-boards').textContent = ids.length <= SHOWN ? ids.join(', ') : `${ids.slice(0, SHOWN).join(', ')} and ${ids.length - SHOWN} more`;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
  });
}
