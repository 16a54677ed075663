/**
 * Text from a server (a job's error message, a result, an API's error) as the CLI prints
 * it, on one line: line breaks and tabs become a space, other control characters are
 * shown as escapes (`\x1b`, `\x07`) — never sent to the terminal or a CI log, so a
 * producer cannot move the cursor, ring the bell or forge a log line.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const SPACING = /^[\t\n\v\f\r\u2028\u2029]+$/;

export function printable(text: string): string {
  return text.replace(CONTROL, (run) =>
    SPACING.test(run) ? " " : [...run].map((char) => (SPACING.test(char) ? " " : `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`)).join(""),
  );
}
