/** The seeded pseudo-random source for replayable tests (lib/seededRandom.ts; fault experiments use it too). */
export { seededRandom } from '../seededRandom';
