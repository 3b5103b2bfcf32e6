// TeX to MathML for the book build (book/_ext/mathml.py), with Temml.
// One JSON request per line on stdin, {"tex": "...", "display": true}; one JSON
// answer per line on stdout, {"mathml": "<math>...</math>"} or {"error": "..."}.
"use strict";
const readline = require("node:readline");
const temml = require("temml");

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const { tex, display } = JSON.parse(line);
  let answer;
  try {
    answer = { mathml: temml.renderToString(tex, { displayMode: display, throwOnError: true }) };
  } catch (error) {
    answer = { error: error.message };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
