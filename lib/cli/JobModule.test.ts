/**
 * The job-module loader: a good module becomes a job graph built with the
 * command line's options (the job's own settings winning); every way a
 * module can break the contract is a JobModuleError with its code, naming
 * the module; building never runs anything.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../../index';
import { JobModuleError, RestoreError } from '../errors';
import { firstDifference } from '../graph/JobFingerprint';
import { loadJobModule } from './JobModule';

const FIXTURES = path.join(__dirname, '..', '..', 'cli', 'fixtures');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-jobmodule-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a CommonJS module into the temp directory; returns its path. */
function moduleFile(name: string, source: string): string {
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, source);
  return file;
}

async function loadError(modulePath: string): Promise<JobModuleError> {
  const e = await loadJobModule(modulePath).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(JobModuleError);
  return e as JobModuleError;
}

describe('loadJobModule', () => {
  test('builds the graph of a default-exported job function with the given args and options', async () => {
    const job = await loadJobModule(path.join(FIXTURES, 'sumJob.ts'), { args: ['10'], parallelism: 3, checkpointIntervalMs: 500 });
    expect(job.jobName).toBe('sums'); // its `jobName` export
    expect(job.modulePath).toBe(path.join(FIXTURES, 'sumJob.ts'));
    expect(job.jobGraph.vertices.flatMap((v) => v.nodes.map((n) => [n.uid, n.parallelism]))).toEqual([
      ['numbers', 3],
      ['sums', 3],
      ['discard', 3],
    ]);
    expect(job.env.config.checkpoint?.intervalMs).toBe(500);
    expect(job.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(job.description.code.moduleSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a relative path is resolved against cwd; a named `job` export works; the job name defaults to the file name', async () => {
    const file = moduleFile('namedJob', "exports.job = (env, args) => { env.fromCollection(args).print(); };\n");
    const job = await loadJobModule(path.basename(file), { cwd: dir, args: ['a', 'b'] });
    expect(job.modulePath).toBe(file);
    expect(job.jobName).toBe('namedJob');
  });

  test("the job's own settings win over the command line's", async () => {
    const file = moduleFile(
      'ownSettings',
      "module.exports = (env) => { env.enableCheckpointing(250); env.fromCollection([1]).setParallelism(1).map((x) => x).setParallelism(2).print(); };\n",
    );
    const job = await loadJobModule(file, { parallelism: 4, checkpointIntervalMs: 1000 });
    expect(job.env.config.checkpoint?.intervalMs).toBe(250);
    expect(job.jobGraph.vertices.map((v) => v.parallelism)).toEqual([1, 2, 4]);
  });

  test('an async job function is awaited', async () => {
    const file = moduleFile('asyncJob', 'module.exports.default = async (env) => { await new Promise((r) => setImmediate(r)); env.fromCollection([1]).print(); };\n');
    const job = await loadJobModule(file);
    expect(job.jobGraph.vertices.length).toBeGreaterThan(0);
  });

  test('no file, or a directory: MODULE_NOT_FOUND naming the path', async () => {
    const missing = path.join(dir, 'nope.js');
    const e = await loadError(missing);
    expect(e.code).toBe('MODULE_NOT_FOUND');
    expect(e.module).toBe(missing);
    expect(e.message).toContain(missing);
    expect((await loadError(dir)).code).toBe('MODULE_NOT_FOUND');
  });

  test('a module that throws on import: MODULE_IMPORT_FAILED with the cause', async () => {
    const e = await loadError(moduleFile('throws', "throw new Error('top-level boom');\n"));
    expect(e.code).toBe('MODULE_IMPORT_FAILED');
    expect(e.message).toContain('top-level boom');
    expect((e.cause as Error).message).toBe('top-level boom');
    expect((await loadError(moduleFile('syntax', 'module.exports = (env) => {\n'))).code).toBe('MODULE_IMPORT_FAILED');
  });

  test('no function exported: NO_JOB_FUNCTION listing what is exported', async () => {
    const e = await loadError(moduleFile('noJob', 'exports.pipeline = 42;\nexports.other = "x";\n'));
    expect(e.code).toBe('NO_JOB_FUNCTION');
    expect(e.message).toContain("'pipeline', 'other'");
    expect(e.message).toContain('export default function job(env, args)');
    expect((await loadError(moduleFile('empty', ''))).code).toBe('NO_JOB_FUNCTION');
    expect((await loadError(moduleFile('badDefault', 'exports.default = { job: 1 };\n'))).code).toBe('NO_JOB_FUNCTION');
  });

  test('a jobName export that is not a string: INVALID_JOB_NAME', async () => {
    const e = await loadError(moduleFile('badName', "exports.jobName = 7;\nexports.job = (env) => env.fromCollection([1]).print();\n"));
    expect(e.code).toBe('INVALID_JOB_NAME');
  });

  test('a job function that throws or rejects: JOB_BUILD_FAILED with the cause', async () => {
    const e = await loadError(moduleFile('buildThrows', "exports.job = () => { throw new TypeError('no input file given'); };\n"));
    expect(e.code).toBe('JOB_BUILD_FAILED');
    expect(e.message).toContain('no input file given');
    expect(e.cause).toBeInstanceOf(TypeError);
    expect((await loadError(moduleFile('buildRejects', "exports.job = async () => { throw new Error('later'); };\n"))).code).toBe('JOB_BUILD_FAILED');
  });

  test('a job that adds no sink: NO_SINKS saying what to add', async () => {
    const e = await loadError(moduleFile('noSink', 'exports.job = (env) => { env.fromCollection([1, 2]).map((x) => x); };\n'));
    expect(e.code).toBe('NO_SINKS');
    expect(e.message).toContain('sinkTo(');
  });

  test('a graph that does not validate: INVALID_JOB_GRAPH with the GraphValidationError', async () => {
    const e = await loadError(
      moduleFile('uidCollision', "exports.job = (env) => { env.fromCollection([1]).uid('a').map((x) => x).uid('a').print(); };\n"),
    );
    expect(e.code).toBe('INVALID_JOB_GRAPH');
    expect(e.message).toContain("uid 'a'");
  });

  test('a job function that runs the job itself is refused before anything runs', async () => {
    const started = moduleFile(
      'executes',
      "exports.job = async (env) => { env.fromCollection([1]).print(); await env.execute('x'); };\n",
    );
    expect((await loadError(started)).code).toBe('JOB_EXECUTED_WHILE_BUILDING');
    const collects = moduleFile('collects', 'exports.job = async (env) => { await env.fromCollection([1]).executeAndCollect(); };\n');
    expect((await loadError(collects)).code).toBe('JOB_EXECUTED_WHILE_BUILDING');
  });

  test('restoring from a checkpoint directory without checkpoints of the job: RestoreError', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'checkpoints-'));
    const e = await loadJobModule(path.join(FIXTURES, 'sumJob.ts'), { restore: { checkpoint: empty } }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(RestoreError);
    expect((e as RestoreError).code).toBe('SAVEPOINT_NOT_FOUND');
    const missing = await loadJobModule(path.join(FIXTURES, 'sumJob.ts'), { restore: { savepoint: path.join(dir, 'none') } }).catch((err: unknown) => err);
    expect((missing as RestoreError).code).toBe('SAVEPOINT_NOT_FOUND');
  });

  test('the code version covers the local files the module imports, and names the one that differs', async () => {
    const variant = (name: string, factor: number) => {
      const d = fs.mkdtempSync(path.join(dir, `${name}-`));
      fs.mkdirSync(path.join(d, 'lib'));
      fs.writeFileSync(path.join(d, 'lib', 'scale.js'), `exports.scale = (x) => x * ${factor};\n`);
      fs.writeFileSync(path.join(d, 'job.js'), "const { scale } = require('./lib/scale');\nexports.job = (env) => { env.fromCollection([1, 2]).map(scale).uid('scaled').print(); };\n");
      return path.join(d, 'job.js');
    };
    const a = await loadJobModule(variant('a', 2));
    const same = await loadJobModule(variant('same', 2));
    const b = await loadJobModule(variant('b', 3));
    expect(Object.keys(a.description.code.moduleFiles ?? {})).toEqual(['job.js', 'lib/scale.js']);
    expect(same.fingerprint).toBe(a.fingerprint); // the same code in another directory
    expect(b.fingerprint).not.toBe(a.fingerprint);
    expect(firstDifference(a.description, b.description)).toMatch(/^job module file lib\/scale\.js differs/);
  });
});
