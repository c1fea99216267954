import { ClusterSettingsError } from '../errors';
import { clusterSecret, coordinatorAddress, coordinatorSettings, nodeSettings, parseHostPort, relativePathWarnings } from './clusterSettings';

const SECRET = 'sixteen bytes or more';

describe('parseHostPort', () => {
  test('host:port, an IPv6 host in brackets', () => {
    expect(parseHostPort('10.0.0.5:6123', 'x')).toEqual({ host: '10.0.0.5', port: 6123 });
    expect(parseHostPort('weir-coordinator.default.svc:6123', 'x')).toEqual({ host: 'weir-coordinator.default.svc', port: 6123 });
    expect(parseHostPort('[::1]:80', 'x')).toEqual({ host: '::1', port: 80 });
  });
  test.each(['6123', 'host:', ':6123', 'host:99999', 'host:12x'])('%s is refused, naming the setting', (v) => {
    expect(() => parseHostPort(v, '--coordinator')).toThrow(ClusterSettingsError);
    expect(() => parseHostPort(v, '--coordinator')).toThrow(/--coordinator/);
  });
});

describe('clusterSecret', () => {
  test('from WEIR_CLUSTER_SECRET, or a file (its trailing newline dropped), the file winning', () => {
    expect(clusterSecret({}, { WEIR_CLUSTER_SECRET: SECRET })).toBe(SECRET);
    expect(clusterSecret({ secretFile: '/s' }, { WEIR_CLUSTER_SECRET: 'ignored, the file wins' }, () => `${SECRET}\n`)).toBe(SECRET);
  });
  test('missing, empty, short or unreadable: a ClusterSettingsError saying what to do', () => {
    expect(() => clusterSecret({}, {})).toThrow(/set WEIR_CLUSTER_SECRET/);
    expect(() => clusterSecret({}, { WEIR_CLUSTER_SECRET: '' })).toThrow(/set WEIR_CLUSTER_SECRET/);
    expect(() => clusterSecret({}, { WEIR_CLUSTER_SECRET: 'short' })).toThrow(/at least 16 bytes, got 5/);
    expect(() =>
      clusterSecret({ secretFile: '/nope' }, {}, () => {
        throw new Error('ENOENT');
      }),
    ).toThrow(/cannot read \/nope/);
  });
});

describe('flags win over the environment', () => {
  const env = {
    WEIR_COORDINATOR: 'coord:6123',
    WEIR_SLOTS: '4',
    WEIR_NODE_ID: 'pod-0',
    WEIR_DATA_HOST: '0.0.0.0',
    WEIR_DATA_PORT: '6124',
    WEIR_HOST: '0.0.0.0',
    WEIR_PORT: '6123',
  };
  test('the node: environment, then each flag', () => {
    expect(nodeSettings({}, env)).toEqual({ coordinator: { host: 'coord', port: 6123 }, slots: 4, nodeId: 'pod-0', dataHost: '0.0.0.0', dataPort: 6124 });
    expect(nodeSettings({ coordinator: 'other:1', slots: '2', nodeId: 'n', dataHost: '127.0.0.1', dataPort: '0' }, env)).toEqual({
      coordinator: { host: 'other', port: 1 },
      slots: 2,
      nodeId: 'n',
      dataHost: '127.0.0.1',
      dataPort: 0,
    });
  });
  test('defaults bind to loopback on any free port; a node needs a coordinator', () => {
    expect(coordinatorSettings({}, {})).toEqual({ host: '127.0.0.1', port: 0 });
    expect(coordinatorSettings({ port: '7000' }, env)).toEqual({ host: '0.0.0.0', port: 7000 });
    expect(nodeSettings({ coordinator: 'c:1' }, {})).toMatchObject({ slots: 1, nodeId: undefined, dataHost: '127.0.0.1', dataPort: 0 });
    expect(() => coordinatorAddress({}, {})).toThrow(/--coordinator host:port or set WEIR_COORDINATOR/);
  });
  test('a bad value names where it came from', () => {
    expect(() => nodeSettings({}, { ...env, WEIR_SLOTS: '0' })).toThrow(/WEIR_SLOTS/);
    expect(() => nodeSettings({ slots: 'two' }, env)).toThrow(/--slots/);
    expect(() => coordinatorSettings({}, { WEIR_PORT: '70000' })).toThrow(/WEIR_PORT/);
  });
});

describe('relativePathWarnings', () => {
  const exists = (p: string) => ['/tmp/data/views', '/tmp/data/in.csv'].includes(p);
  test('one warning per argument naming an existing relative path, suggesting the absolute one', () => {
    const warnings = relativePathWarnings(['views', 'out-rel', '/abs/views', '100', './in.csv', '--flag', ''], '/tmp/data', exists);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toBe(
      "argument 'views' is a relative path: the nodes resolve it against their own working directory, not /tmp/data; if the job should use what is here, pass /tmp/data/views",
    );
    expect(warnings[1]).toContain('pass /tmp/data/in.csv');
  });
});
