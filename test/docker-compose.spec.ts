import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * No Docker engine runs here, so the compose files are checked for shape: services, pinned image
 * tags, ports, health checks, volumes, and the service wired to the database it waits for.
 */
const load = (file: string) => parse(readFileSync(join(__dirname, '..', file), 'utf8'), { merge: true }) as { services: Record<string, any>; volumes?: Record<string, unknown> };
const PINNED = /^docker\.kurrent\.io\/kurrent-lts\/kurrentdb:\d+\.\d+\.\d+$/;

describe('docker-compose.yml: the service and a single EventStoreDB node', () => {
  const compose = load('docker-compose.yml');

  it('has exactly the database and the service', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kurrentdb', 'ledger']);
  });

  it('runs a pinned KurrentDB image with its port, a health check and volumes', () => {
    const db = compose.services.kurrentdb;
    expect(db.image).toMatch(PINNED);
    expect(db.ports).toContain('2113:2113');
    expect(db.environment.KURRENTDB_CLUSTER_SIZE).toBe('1');
    expect(db.healthcheck.test.join(' ')).toMatch(/\/health\/live/);
    expect(db.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^kurrentdb-data:\/var\/lib\/kurrentdb$/)]));
    expect(compose.volumes).toHaveProperty('kurrentdb-data');
  });

  it('points the service at that node, after it is healthy, with its own data volume and health check', () => {
    const ledger = compose.services.ledger;
    expect(ledger.build).toBe('.');
    expect(ledger.environment).toMatchObject({ LEDGER_EVENT_STORE: 'eventstoredb', LEDGER_EVENTSTOREDB_URL: 'esdb://kurrentdb:2113?tls=false' });
    expect(ledger.depends_on).toEqual({ kurrentdb: { condition: 'service_healthy' } });
    expect(ledger.ports).toContain('3000:3000');
    expect(ledger.volumes).toContain('ledger-data:/data');
    expect(ledger.healthcheck.test.join(' ')).toMatch(/localhost:3000\/health/);
  });
});

describe('docker-compose.cluster.yml: three nodes and two service instances', () => {
  const compose = load('docker-compose.cluster.yml');
  const nodes = ['node1', 'node2', 'node3'];

  it('runs three pinned nodes of one cluster, each seeded with the two others, with health checks and volumes', () => {
    const ips = nodes.map((node) => compose.services[node].environment.KURRENTDB_REPLICATION_IP);
    for (const [i, node] of nodes.entries()) {
      const service = compose.services[node];
      expect(service.image).toMatch(PINNED);
      expect(service.image).toBe(load('docker-compose.yml').services.kurrentdb.image);
      expect(service.environment.KURRENTDB_CLUSTER_SIZE).toBe('3');
      expect(service.environment.KURRENTDB_GOSSIP_SEED.split(',').sort()).toEqual(ips.filter((_, j) => j !== i).map((ip) => `${ip}:2113`).sort());
      expect(service.healthcheck.test.join(' ')).toMatch(/\/health\/live/);
      expect(service.volumes).toEqual([`${node}-data:/var/lib/kurrentdb`]);
    }
  });

  it('runs two service instances on the whole cluster, each with its own read models and port, sharing one key store', () => {
    for (const [name, port] of [['ledger-1', '3001:3000'], ['ledger-2', '3002:3000']]) {
      const ledger = compose.services[name];
      expect(ledger.environment.LEDGER_EVENTSTOREDB_URL).toMatch(/^esdb:\/\/node1:2113,node2:2113,node3:2113\?/);
      expect(ledger.ports).toEqual([port]);
      expect(ledger.volumes).toEqual([`${name}-data:/data`, 'ledger-keys:/keys']);
      expect(ledger.environment.LEDGER_KEY_DIR).toBe('/keys');
      expect(Object.keys(ledger.depends_on).sort()).toEqual(nodes);
      expect(ledger.healthcheck.test.join(' ')).toMatch(/\/health/);
    }
  });
});
