/** `text` as a pattern that matches it literally; the escapes are valid in Python's re too. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
