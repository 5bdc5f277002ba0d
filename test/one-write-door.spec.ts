import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * Every write goes through the one pipeline: no source file outside the event store, the hash-chain
 * decorator and libs/application/src/write-pipeline/ calls a store's append methods. Read with the
 * TypeScript compiler, so that a call split over lines, through optional chaining or a bound
 * reference (`store.appendAtomically?.bind(store)`) is found as well as a plain one.
 */
const ROOT = join(__dirname, '..');
const APPEND_METHODS = new Set(['appendToStream', 'appendAtomically', 'appendAtomicallyInParts']);
const ALLOWED = ['libs/event-store/', 'libs/integrity/src/chained-event-store.ts', 'libs/application/src/write-pipeline/'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each use of an append method in the file (a call, or the method taken as a value), as `line: text`. */
export function appendUsesIn(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    // `x.appendToStream`, `x?.appendAtomically`, `x['appendAtomicallyInParts']`, but not a declaration of the method.
    const name = ts.isPropertyAccessExpression(node) ? node.name.text : ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) ? node.argumentExpression.text : undefined;
    if (name && APPEND_METHODS.has(name)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${line + 1}: ${node.getText().split('\n')[0]}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('one door for every write', () => {
  it('finds an append call however it is written', () => {
    const uses = appendUsesIn(
      'example.ts',
      `await this.store.appendToStream('s', [], 'any');
       const inParts = store.appendAtomicallyInParts?.bind(store);
       await store
         ?.appendAtomically?.([]);
       store['appendToStream']('s', [], 'any');
       interface Store { appendToStream(): void }
       const text = 'appendToStream';`,
    );
    expect(uses).toHaveLength(4);
  });

  it('lets no source file outside the event store, the chain decorator and the write pipeline call a store’s append methods', () => {
    // The application's sources (benchmarks of the store itself, under bench/, and tests append directly on purpose).
    const offenders = ['apps', 'libs'].flatMap((top) =>
      sourceFiles(join(ROOT, top))
        .map((path) => relative(ROOT, path).split(sep).join('/'))
        .filter((path) => !ALLOWED.some((allowed) => path.startsWith(allowed)))
        .flatMap((path) => appendUsesIn(path, readFileSync(join(ROOT, path), 'utf8')).map((use) => `${path}:${use}`)),
    );
    expect(offenders).toEqual([]);
  });
});
