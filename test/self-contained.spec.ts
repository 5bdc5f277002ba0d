// The repository explains itself: nothing in it points at a document outside it, and every relative
// link of its Markdown leads to a file (and a heading) that is there. A person who clones the
// repository has only what is in it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

const root = join(__dirname, '..');
const thisFile = relative(root, __filename).split('\\').join('/');

/** Files as the repository holds them: tracked, plus new ones not yet added (ignored ones left out). */
function repositoryFiles(): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
      .split('\0')
      .filter(Boolean);
  } catch {
    listed = walk(root); // a copy without .git (an unpacked archive): every file but the built and installed ones
  }
  return listed.filter((file) => !/(^|\/)(node_modules|dist)\//.test(file) && file !== 'package-lock.json' && existsSync(join(root, file)));
}

function walk(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'dist', '.git'].includes(entry.name) || /^data/.test(entry.name)) return [];
    const path = join(directory, entry.name);
    return entry.isDirectory() ? walk(path) : [relative(root, path).split('\\').join('/')];
  });
}

const isText = (content: Buffer) => !content.subarray(0, 8000).includes(0);

/**
 * What only makes sense beside the documents the project was commissioned with, which stay outside
 * the repository: their folder, one directory up, and their file names. The patterns are built here
 * from the names' parts, so that this file names none of them itself and is checked like any other.
 */
const BRIEF_FOLDER = ['..', 'shared'].join('/');
const BRIEF_FILES = ['DOMAIN', 'STYLE', 'EVENTSTOREDB'].map((name) => `${name}.md`);
const BRIEF = ['SP', 'EC'].join(''); // the product brief, by the word it is cited with
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const OUTSIDE_REFERENCES: [RegExp, string][] = [
  [new RegExp(`${escaped(BRIEF_FOLDER)}\\b`), 'the brief\'s folder'],
  [new RegExp(`\\b${BRIEF}\\b`), 'the product brief'],
  ...BRIEF_FILES.map((file): [RegExp, string] => [new RegExp(`\\b${escaped(file)}\\b`), file.replace(/\.md$/, '') + ' notes']),
  [/\bseeds\/000_/, 'the seed file'],
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** Markdown without its fenced code blocks (a link in a code sample is not a link). */
const prose = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(match[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  return anchors;
}

/** Relative link targets of a Markdown file: `[text](target)`, not web addresses. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const match of prose(markdown).replace(/`[^`\n]*`/g, '').matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(match[1])) links.push(match[1]);
  }
  return links;
}

describe('the repository explains itself', () => {
  const files = repositoryFiles();

  it('finds the files it checks', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/domain.md', 'docs/architecture.md', 'config/programs.yaml', 'libs/domain/src/catalog.ts']));
  });

  it('names no document outside the repository (the brief it was commissioned with, its folder, its notes), this file included', () => {
    const found: string[] = [];
    for (const file of files) {
      const content = readFileSync(join(root, file));
      if (!isText(content)) continue;
      content
        .toString('utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const [pattern, what] of OUTSIDE_REFERENCES) if (pattern.test(line)) found.push(`${file}:${index + 1}: ${what}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(found).toEqual([]);
  });

  it('links from README.md and docs/*.md only to files and headings that exist', () => {
    const markdownFiles = files.filter((file) => file === 'README.md' || /^docs\/[^/]+\.md$/.test(file));
    expect(markdownFiles.length).toBeGreaterThan(2);
    const broken: string[] = [];
    for (const file of markdownFiles) {
      for (const link of relativeLinks(readFileSync(join(root, file), 'utf8'))) {
        const [pathPart, anchor] = link.split('#', 2);
        const target = pathPart === '' ? file : posix.normalize(posix.join(posix.dirname(file), decodeURI(pathPart)));
        const absolute = join(root, target);
        if (target.startsWith('..') || !existsSync(absolute)) {
          broken.push(`${file}: ${link}: no file ${target}`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(absolute, 'utf8')).has(decodeURIComponent(anchor))) {
          broken.push(`${file}: ${link}: no heading #${anchor} in ${target}`);
        }
        if (anchor && statSync(absolute).isDirectory()) broken.push(`${file}: ${link}: an anchor into a directory`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only documents of docs/ that exist, and headings they have, wherever it names one (comments, configs)', () => {
    const broken: string[] = [];
    // This file's own examples of links (in the check of the check below) name documents that are not there, on purpose.
    for (const file of files.filter((name) => name !== thisFile)) {
      const content = readFileSync(join(root, file));
      if (!isText(content)) continue;
      for (const match of content.toString('utf8').matchAll(/\bdocs\/([\w.-]+\.md)(?:#([\p{L}\p{N}_-]+))?/gu)) {
        const target = join(root, 'docs', match[1]);
        if (!existsSync(target)) broken.push(`${file}: ${match[0]}: no such document`);
        else if (match[2] && !anchorsOf(readFileSync(target, 'utf8')).has(match[2])) broken.push(`${file}: ${match[0]}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('lists in docs/domain.md every source key (S1, S2 …) the catalog cites', () => {
    const listed = new Set([...readFileSync(join(root, 'docs/domain.md'), 'utf8').matchAll(/^\| (S\d+) \|/gm)].map((match) => match[1]));
    const cited = [...readFileSync(join(root, 'config/programs.yaml'), 'utf8').matchAll(/\bS(\d+)(?:[–-]S?(\d+))?\b/g)].flatMap(([, from, to]) =>
      Array.from({ length: Number(to ?? from) - Number(from) + 1 }, (_, i) => `S${Number(from) + i}`),
    );
    expect(cited.length).toBeGreaterThan(5);
    expect(cited.filter((key) => !listed.has(key))).toEqual([]);
  });

  it('makes anchors as GitHub does (a check of the check)', () => {
    expect(slug('What a write must meet beyond the catalog')).toBe('what-a-write-must-meet-beyond-the-catalog');
    expect(slug('Users and roles')).toBe('users-and-roles');
    expect(slug('`datingWindows`: when a payment may be dated')).toBe('datingwindows-when-a-payment-may-be-dated');
    expect(slug('寄宿生生活补助 (boarding living subsidy)')).toBe('寄宿生生活补助-boarding-living-subsidy');
    expect([...anchorsOf('# A\n```\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1']);
    expect(relativeLinks('see [x](docs/a.md#b), [y](https://example.org), `[z](not/a/link.md)`')).toEqual(['docs/a.md#b']);
    expect(dirname('docs/a.md')).toBe('docs');
  });
});
