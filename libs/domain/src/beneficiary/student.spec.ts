import { DomainError } from '../errors';
import { IdentifierStanding, identifiersOf, isFiledUnder, parseStudentIdentity, placeStudent, studentFiledUnder } from './student';

const ID = '654002201001010103';
const J = 'J654002201001010090';
const OTHER_ID = '654002201001010015';

/** Given what the ledger holds under each key, when a student is named, then this placement (or refusal). */
const given = (held: Record<string, IdentifierStanding>) => ({
  when: (student: { residentId?: string; studentNumber?: string }) => placeStudent(parseStudentIdentity(student), (key) => held[key] ?? { holds: 'nothing' }),
});

const link = (identifier: { residentId: string } | { studentNumber: string }, key: string, student: { residentId?: string; studentNumber?: string }) => ({
  type: 'StudentIdentifierLinked',
  data: { identifier, beneficiary: { key, ...student } },
});

describe('placing a student on their record (placeStudent)', () => {
  it('files a new student named by one identifier under it, linking nothing', () => {
    expect(given({}).when({ studentNumber: J })).toEqual({ student: expect.objectContaining({ key: J }), links: [] });
    expect(given({}).when({ residentId: ID })).toEqual({ student: expect.objectContaining({ key: ID }), links: [] });
  });

  it('files a new student named by resident ID and J number under the ID, and links the J number to it', () => {
    const placed = given({}).when({ residentId: ID, studentNumber: J });
    expect(placed.student.key).toBe(ID);
    expect(placed.links).toEqual([{ key: J, event: link({ studentNumber: J }, ID, { residentId: ID, studentNumber: J }) }]);
  });

  it('lands a request naming a known J number and a new ID on the J number’s record, linking the ID', () => {
    const placed = given({ [J]: { holds: 'record' } }).when({ residentId: ID, studentNumber: J });
    expect(placed.student.key).toBe(J);
    expect(placed.links).toEqual([{ key: ID, event: link({ residentId: ID }, J, { residentId: ID, studentNumber: J }) }]);
  });

  it('follows a link: an identifier linked to a record leads there, alone or with the other', () => {
    const held = { [J]: { holds: 'link', recordKey: ID }, [ID]: { holds: 'record' } } as const;
    expect(given(held).when({ studentNumber: J })).toEqual({ student: expect.objectContaining({ key: ID, studentNumber: J }), links: [] });
    expect(given(held).when({ residentId: ID, studentNumber: J })).toEqual({ student: expect.objectContaining({ key: ID }), links: [] });
  });

  it('follows a link to a record that holds nothing yet (an EventStoreDB crash between the link and its payment)', () => {
    expect(given({ [J]: { holds: 'link', recordKey: ID } }).when({ residentId: ID, studentNumber: J })).toEqual({ student: expect.objectContaining({ key: ID }), links: [] });
  });

  it('refuses two identifiers that lead to two records, naming both fields', () => {
    let caught: unknown;
    try {
      given({ [ID]: { holds: 'record' }, [J]: { holds: 'record' } }).when({ residentId: ID, studentNumber: J });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe('STUDENT_IDENTIFIERS_CONFLICT');
    expect((caught as DomainError).problems.map((problem) => problem.field)).toEqual(['student.residentId', 'student.studentNumber']);
    expect((caught as DomainError).message).toContain(`student.residentId ${ID} leads to the record ${ID}`);
    expect((caught as DomainError).message).toContain(`student.studentNumber ${J} leads to the record ${J}`);
    expect(() => given({ [J]: { holds: 'link', recordKey: OTHER_ID }, [ID]: { holds: 'record' } }).when({ residentId: ID, studentNumber: J })).toThrow(
      expect.objectContaining({ code: 'STUDENT_IDENTIFIERS_CONFLICT' }),
    );
  });

  it('treats a resident ID and its own G number as one identifier', () => {
    expect(identifiersOf(parseStudentIdentity({ residentId: ID, studentNumber: `G${ID}` }))).toEqual([{ field: 'residentId', value: ID, key: ID }]);
    expect(given({}).when({ studentNumber: `G${ID}` })).toEqual({ student: expect.objectContaining({ key: ID }), links: [] });
  });

  it('refuses a G number that holds another resident ID than the one given, echoing neither', () => {
    expect(() => parseStudentIdentity({ residentId: ID, studentNumber: `G${OTHER_ID}` })).toThrow(
      expect.objectContaining({
        code: 'STUDENT_IDENTIFIERS_DISAGREE',
        field: 'student.studentNumber',
        message: 'student.studentNumber is a G number that holds another resident ID than student.residentId: one of them is wrong',
      }),
    );
  });

  it('names the fields without a prefix when the identifiers stand alone (query parameters)', () => {
    expect(parseStudentIdentity({ studentNumber: `g${ID}` }, '')).toEqual({ key: ID, studentNumber: `G${ID}` });
    expect(() => parseStudentIdentity({ residentId: '12345' }, '')).toThrow(expect.objectContaining({ code: 'RESIDENT_ID_INVALID', field: 'residentId' }));
    expect(() => parseStudentIdentity({}, '')).toThrow(expect.objectContaining({ code: 'STUDENT_IDENTITY_MISSING', message: 'name the student by residentId or studentNumber' }));
    expect(() => parseStudentIdentity({ residentId: ID, studentNumber: `G${OTHER_ID}` }, '')).toThrow(expect.objectContaining({ field: 'studentNumber' }));
  });
});

describe('a student found by their record, not named', () => {
  it('given a student filed under a record key, when parsed as the student of a command, then it is that record, with no identifier', () => {
    const found = studentFiledUnder('s0123456789abcdefghjkmnpqr');
    expect(parseStudentIdentity(found as never)).toBe(found);
    expect(JSON.parse(JSON.stringify(parseStudentIdentity(found as never)))).toEqual({ key: 's0123456789abcdefghjkmnpqr' });
    expect(isFiledUnder(found)).toBe(true);
  });

  it('given a plain object with a key, when parsed, then it is not taken for a record: it needs an identifier', () => {
    expect(() => parseStudentIdentity({ key: 's0123456789abcdefghjkmnpqr' } as never)).toThrow(expect.objectContaining({ code: 'STUDENT_IDENTITY_MISSING' }));
  });
});
