import { deciderSpecification } from '../testing/decider-specification';
import { AccessEvent, accessDecider, authorizeOperator, authorizeToken } from './access';

const spec = deciderSpecification(accessDecider, undefined);
const alice: AccessEvent = { type: 'UserAdded', data: { userId: 'alice', displayName: 'Alice', role: 'finance_officer' } };
const token: AccessEvent = { type: 'TokenIssued', data: { tokenId: 'aaaaaaaa11111111', userId: 'alice', secretHash: 'ab'.repeat(32) } };

describe('users and tokens', () => {
  it('adds a user with a role, once', () => {
    spec.given([]).when({ type: 'AddUser', data: { userId: 'alice', displayName: 'Alice', role: 'finance_officer' } }).then([alice]);
    spec.given([alice]).when({ type: 'AddUser', data: { userId: 'alice', displayName: 'Alice 2', role: 'auditor' } }).thenFails('USER_EXISTS');
  });

  it('refuses a malformed user id and an unknown role', () => {
    spec.given([]).when({ type: 'AddUser', data: { userId: 'Alice Wang', displayName: 'A', role: 'auditor' } }).thenFails('USER_ID_INVALID', 'userId');
    spec.given([]).when({ type: 'AddUser', data: { userId: 'bob', displayName: 'B', role: 'root' as never } }).thenFails('ROLE_INVALID', 'role');
  });

  it('keeps a display name trimmed, on one line, without control characters (parseFreeText)', () => {
    spec.given([]).when({ type: 'AddUser', data: { userId: 'alice', displayName: ' Alice ', role: 'finance_officer' } }).then([alice]);
    for (const displayName of ['', 'Alice\tWang', 'Alice\u0085', 'Alice\u202e', 'A'.repeat(101)]) {
      spec.given([]).when({ type: 'AddUser', data: { userId: 'alice', displayName, role: 'finance_officer' } }).thenFails('FIELD_INVALID', 'displayName');
    }
  });

  it('keeps a token’s label on one line, and a reason (revoking, disabling) required, both without control characters (parseFreeText)', () => {
    spec.given([alice]).when({ type: 'IssueToken', data: { ...token.data, label: ' laptop ' } as never }).then([{ ...token, data: { ...token.data, label: 'laptop' } } as AccessEvent]);
    spec.given([alice]).when({ type: 'IssueToken', data: { ...token.data, label: 'lap\ntop' } as never }).thenFails('FIELD_INVALID', 'label');
    spec.given([alice, token]).when({ type: 'RevokeToken', data: { tokenId: 'aaaaaaaa11111111', reason: ' lost\non the train ' } }).then([
      { type: 'TokenRevoked', data: { tokenId: 'aaaaaaaa11111111', userId: 'alice', reason: 'lost\non the train' } },
    ]);
    for (const reason of ['', 'lost\u0000', 'x'.repeat(1001)]) {
      spec.given([alice, token]).when({ type: 'RevokeToken', data: { tokenId: 'aaaaaaaa11111111', reason } }).thenFails('FIELD_INVALID', 'reason');
      spec.given([alice]).when({ type: 'DisableUser', data: { userId: 'alice', reason } }).thenFails('FIELD_INVALID', 'reason');
    }
  });

  it('records a role change with the role before and after', () => {
    spec.given([alice]).when({ type: 'ChangeUserRole', data: { userId: 'alice', role: 'auditor' } }).then([
      { type: 'UserRoleChanged', data: { userId: 'alice', from: 'finance_officer', to: 'auditor' } },
    ]);
    spec.given([alice]).when({ type: 'ChangeUserRole', data: { userId: 'alice', role: 'finance_officer' } }).thenNothingHappens();
    spec.given([]).when({ type: 'ChangeUserRole', data: { userId: 'nobody', role: 'auditor' } }).thenFails('USER_NOT_FOUND');
  });

  describe('keeps an enabled admin (refuseLosingTheLastAdmin)', () => {
    const root: AccessEvent = { type: 'UserAdded', data: { userId: 'root', displayName: 'Admin', role: 'admin' } };
    const second: AccessEvent = { type: 'UserAdded', data: { userId: 'ops', displayName: 'Second admin', role: 'admin' } };
    const secondDisabled: AccessEvent = { type: 'UserDisabled', data: { userId: 'ops', reason: 'left' } };
    const secondDemoted: AccessEvent = { type: 'UserRoleChanged', data: { userId: 'ops', from: 'admin', to: 'auditor' } };

    it('refuses to take the role admin from the only enabled admin, whoever asks', () => {
      for (const role of ['auditor', 'finance_officer', 'bureau_staff'] as const) {
        spec.given([alice, root]).when({ type: 'ChangeUserRole', data: { userId: 'root', role } }).thenFails('LAST_ADMIN', 'userId');
      }
      // Another admin who is disabled, or no longer an admin, does not count.
      spec.given([alice, root, second, secondDisabled]).when({ type: 'ChangeUserRole', data: { userId: 'root', role: 'auditor' } }).thenFails('LAST_ADMIN');
      spec.given([alice, root, second, secondDemoted]).when({ type: 'ChangeUserRole', data: { userId: 'root', role: 'auditor' } }).thenFails('LAST_ADMIN');
    });

    it('refuses to disable the only enabled admin', () => {
      spec.given([alice, root]).when({ type: 'DisableUser', data: { userId: 'root', reason: 'left' } }).thenFails('LAST_ADMIN', 'userId');
      spec.given([alice, root, second, secondDisabled]).when({ type: 'DisableUser', data: { userId: 'root', reason: 'left' } }).thenFails('LAST_ADMIN');
    });

    it('says why in the refusal', () => {
      const refusal = spec.given([root]).when({ type: 'ChangeUserRole', data: { userId: 'root', role: 'auditor' } }).thenFails('LAST_ADMIN');
      expect({ kind: refusal.kind, message: refusal.message }).toEqual({
        kind: 'conflict',
        message: 'user "root" is the last enabled admin: add another admin first, or nobody could manage users and tokens',
      });
    });

    it('demotes or disables an admin while another enabled admin remains', () => {
      spec.given([alice, root, second]).when({ type: 'ChangeUserRole', data: { userId: 'root', role: 'auditor' } }).then([
        { type: 'UserRoleChanged', data: { userId: 'root', from: 'admin', to: 'auditor' } },
      ]);
      spec.given([alice, root, second]).when({ type: 'DisableUser', data: { userId: 'root', reason: 'left' } }).then([
        { type: 'UserDisabled', data: { userId: 'root', reason: 'left' } },
      ]);
    });

    it('leaves changes that take no enabled admin away as they were', () => {
      spec.given([root]).when({ type: 'ChangeUserRole', data: { userId: 'root', role: 'admin' } }).thenNothingHappens();
      spec.given([alice, root]).when({ type: 'DisableUser', data: { userId: 'alice', reason: 'left' } }).then([{ type: 'UserDisabled', data: { userId: 'alice', reason: 'left' } }]);
      spec.given([alice]).when({ type: 'ChangeUserRole', data: { userId: 'alice', role: 'auditor' } }).then([
        { type: 'UserRoleChanged', data: { userId: 'alice', from: 'finance_officer', to: 'auditor' } },
      ]);
      // A disabled admin holds nothing: disabling it again, or changing its role, takes no enabled admin away.
      spec.given([alice, root, second, secondDisabled]).when({ type: 'DisableUser', data: { userId: 'ops', reason: 'left' } }).thenNothingHappens();
      spec.given([alice, root, second, secondDisabled]).when({ type: 'ChangeUserRole', data: { userId: 'ops', role: 'auditor' } }).then([
        { type: 'UserRoleChanged', data: { userId: 'ops', from: 'admin', to: 'auditor' } },
      ]);
    });
  });

  it('issues tokens only to active users, and revokes them once', () => {
    spec.given([alice]).when({ type: 'IssueToken', data: token.data as never }).then([token]);
    spec.given([alice, { type: 'UserDisabled', data: { userId: 'alice', reason: 'left' } }]).when({ type: 'IssueToken', data: token.data as never }).thenFails('USER_DISABLED');
    spec.given([alice, token]).when({ type: 'RevokeToken', data: { tokenId: 'aaaaaaaa11111111', reason: 'lost' } }).then([
      { type: 'TokenRevoked', data: { tokenId: 'aaaaaaaa11111111', userId: 'alice', reason: 'lost' } },
    ]);
    spec.given([]).when({ type: 'RevokeToken', data: { tokenId: 'nope0000', reason: 'x' } }).thenFails('TOKEN_NOT_FOUND');
  });

  it('authorizes a live token as its user with the current role, and refuses revoked, expired and disabled ones', () => {
    const fold = (events: AccessEvent[]) => events.reduce(accessDecider.evolve, accessDecider.initialState());
    const now = new Date('2026-01-01T00:00:00Z');
    const live = authorizeToken(fold([alice, token, { type: 'UserRoleChanged', data: { userId: 'alice', from: 'finance_officer', to: 'auditor' } }]), 'aaaaaaaa11111111', now);
    expect(live).toMatchObject({ ok: true, user: { userId: 'alice', role: 'auditor' } });
    expect(authorizeToken(fold([alice, token, { type: 'TokenRevoked', data: { tokenId: 'aaaaaaaa11111111', userId: 'alice', reason: 'x' } }]), 'aaaaaaaa11111111', now)).toEqual({ ok: false, reason: 'revoked' });
    const expiring: AccessEvent = { type: 'TokenIssued', data: { ...token.data, expiresAt: '2025-12-31T23:59:59Z' } as never };
    expect(authorizeToken(fold([alice, expiring]), 'aaaaaaaa11111111', now)).toEqual({ ok: false, reason: 'expired' });
    expect(authorizeToken(fold([alice, token, { type: 'UserDisabled', data: { userId: 'alice', reason: 'left' } }]), 'aaaaaaaa11111111', now)).toEqual({ ok: false, reason: 'user_disabled' });
    expect(authorizeToken(fold([alice]), 'aaaaaaaa11111111', now)).toEqual({ ok: false, reason: 'unknown_token' });
  });

  it('lets an operator act as a user only when the user exists, is active and has a role for the work now', () => {
    const fold = (events: AccessEvent[]) => events.reduce(accessDecider.evolve, accessDecider.initialState());
    const admin: AccessEvent = { type: 'UserAdded', data: { userId: 'root', displayName: 'Admin', role: 'admin' } };
    const moved: AccessEvent = { type: 'UserRoleChanged', data: { userId: 'alice', from: 'finance_officer', to: 'bureau_staff' } };
    expect(authorizeOperator(fold([alice]), 'alice', 'record_aid')).toMatchObject({ ok: true, user: { userId: 'alice', role: 'finance_officer' } });
    expect(authorizeOperator(fold([alice, admin]), 'root', 'manage_access')).toMatchObject({ ok: true, user: { userId: 'root' } });
    expect(authorizeOperator(fold([alice]), 'bob', 'record_aid')).toEqual({ ok: false, reason: 'unknown_user' });
    expect(authorizeOperator(fold([alice]), 'alice', 'manage_access')).toMatchObject({ ok: false, reason: 'role_not_permitted' });
    expect(authorizeOperator(fold([alice, admin]), 'root', 'record_aid')).toMatchObject({ ok: false, reason: 'role_not_permitted', user: { role: 'admin' } });
    expect(authorizeOperator(fold([alice, moved]), 'alice', 'record_aid')).toMatchObject({ ok: false, reason: 'role_not_permitted', user: { role: 'bureau_staff' } });
    expect(authorizeOperator(fold([alice, { type: 'UserDisabled', data: { userId: 'alice', reason: 'left' } }]), 'alice', 'record_aid')).toMatchObject({ ok: false, reason: 'user_disabled' });
  });
});
