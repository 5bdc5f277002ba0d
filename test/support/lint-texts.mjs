// Lints pieces of code as if they were files of this repository, with its eslint.config.mjs and one
// ESLint instance: reads [{ filePath, code }] as JSON on stdin, writes each one's messages as JSON.
// A process of its own because ESLint loads its configuration with import(), which jest's module
// sandbox refuses (it would need --experimental-vm-modules).
import { ESLint } from 'eslint';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';

const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });
const texts = JSON.parse(await text(process.stdin));
const results = [];
for (const { filePath, code } of texts) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push(result.messages.map(({ ruleId, message, line, severity }) => ({ ruleId, message, line, severity })));
}
process.stdout.write(JSON.stringify(results));
