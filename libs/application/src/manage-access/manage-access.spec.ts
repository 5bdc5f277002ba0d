import { AccessControl } from '../access/access-control.service';
import { ledgerOnDisk } from '../testing/ledger-on-disk';
import { AddUserCommand, AddUserHandler, ChangeUserRoleCommand, ChangeUserRoleHandler, IssueTokenCommand, IssueTokenHandler, ListUsersHandler, RevokeTokenCommand, RevokeTokenHandler } from './manage-access';

describe('manage users and tokens', () => {
  let ledger: ReturnType<typeof ledgerOnDisk>;
  beforeEach(() => (ledger = ledgerOnDisk()));
  afterEach(() => ledger.close());

  it('adds a user, changes their role, issues a token that authenticates until it is revoked', async () => {
    const access = new AccessControl(ledger.store, ledger.pipeline);
    const admin = { ...ledger.write, actor: { id: 'admin', role: 'admin' } };
    await new AddUserHandler(access).execute(new AddUserCommand({ userId: 'alice', displayName: 'Alice', role: 'bureau_staff' }, admin));
    await new ChangeUserRoleHandler(access).execute(new ChangeUserRoleCommand('alice', 'auditor', admin));
    const issued = await new IssueTokenHandler(access).execute(new IssueTokenCommand('alice', { label: 'laptop' }, admin));
    expect(await access.authenticate(issued.token)).toMatchObject({ ok: true, actor: { id: 'alice', role: 'auditor' } });
    await new RevokeTokenHandler(access).execute(new RevokeTokenCommand(issued.tokenId, 'laptop lost', admin));
    expect(await access.authenticate(issued.token)).toMatchObject({ ok: false });
    const [alice] = await new ListUsersHandler(access).execute();
    expect(alice.changes.map((change) => change.type)).toEqual(['UserAdded', 'UserRoleChanged', 'TokenIssued', 'TokenRevoked']);
  });
});
