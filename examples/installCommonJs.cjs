/** README "Install and use in your app", CommonJS: require() the package and run a job. */
const { StreamExecutionEnvironment } = require('weir-stream');

async function main() {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const lengths = await env.fromCollection(['a', 'bb', 'ccc']).map((word) => word.length).executeAndCollect();
  console.log(lengths);            // 1, 2 and 3, in the order the subtasks emit them
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
