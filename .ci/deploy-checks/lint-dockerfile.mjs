// Lints a Dockerfile: dockerfile-utils' validator (the parser behind VS Code's Docker support) with every check on
// and warnings treated as errors, then the project's own rules (../../../shared/STYLE.md §7, issue 4):
//   - every FROM names an exact version tag (x.y.z) or a digest, never "latest" or a floating tag;
//   - the final stage sets a WORKDIR, copies application.yml into it and switches to a numeric, non-root USER;
//   - ENTRYPOINT is in exec form (a JSON array), so the JVM is PID 1 and receives SIGTERM;
//   - EXPOSE lists valid port numbers.
//
//   node lint-dockerfile.mjs [path/to/Dockerfile]      (default: the repository's Dockerfile)
// Exit status: 0 when clean, 1 with one line per problem otherwise.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import { validate, ValidationSeverity } from "dockerfile-utils";

const file = process.argv[2] ?? fileURLToPath(new URL("../../Dockerfile", import.meta.url));
const content = readFileSync(file, "utf8");
const problems = [];
const report = (line, message) => problems.push(`${file}:${line + 1}: ${message}`);

const strict = Object.fromEntries(
  ["deprecatedMaintainer", "directiveCasing", "emptyContinuationLine", "instructionCasing", "instructionCmdMultiple",
    "instructionEntrypointMultiple", "instructionHealthcheckMultiple", "instructionJSONInSingleQuotes",
    "instructionWorkdirRelative"].map((setting) => [setting, ValidationSeverity.ERROR]));
for (const diagnostic of validate(content, strict)) {
  report(diagnostic.range.start.line, diagnostic.message);
}

const dockerfile = DockerfileParser.parse(content);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
if (froms.length === 0) {
  report(0, "no FROM instruction");
}
const stageNames = new Set(froms.map((from) => from.getBuildStage()).filter(Boolean));
for (const from of froms) {
  const image = from.getImageName();
  const line = from.getRange().start.line;
  if (stageNames.has(image)) {
    continue;
  }
  const digest = from.getImageDigest();
  const tag = from.getImageTag();
  if (!digest && !(tag && /\d+\.\d+\.\d+/.test(tag))) {
    report(line, `FROM ${from.getImage()}: pin the base image to an exact version tag (x.y.z) or a digest`);
  }
}

const lastFrom = froms.at(-1);
const finalStage = lastFrom ? instructions.filter((i) => i.getRange().start.line > lastFrom.getRange().start.line) : [];
const last = (keyword) => finalStage.filter((i) => i.getKeyword() === keyword).at(-1);

const user = last("USER");
if (!user) {
  report(lastFrom?.getRange().start.line ?? 0, "the final stage sets no USER: the container would run as root");
} else {
  const value = user.getArgumentsContent().trim();
  const [uid, gid] = value.split(":");
  if (!/^\d+$/.test(uid) || uid === "0" || (gid !== undefined && (!/^\d+$/.test(gid) || gid === "0"))) {
    report(user.getRange().start.line, `USER ${value}: use a numeric, non-root uid[:gid] so runAsNonRoot can verify it`);
  }
}

const workdir = last("WORKDIR");
if (!workdir) {
  report(lastFrom?.getRange().start.line ?? 0, "the final stage sets no WORKDIR");
}
if (!finalStage.some((i) => i.getKeyword() === "COPY" && /(^|\s)application\.yml(\s|$)/.test(i.getArgumentsContent()))) {
  report(lastFrom?.getRange().start.line ?? 0, "the final stage does not copy application.yml into the WORKDIR");
}

const entrypoint = last("ENTRYPOINT");
if (!entrypoint) {
  report(lastFrom?.getRange().start.line ?? 0, "the final stage has no ENTRYPOINT");
} else if (!entrypoint.getArgumentsContent().trim().startsWith("[")) {
  report(entrypoint.getRange().start.line, "ENTRYPOINT must use the exec form [\"java\", ...]");
}

for (const expose of finalStage.filter((i) => i.getKeyword() === "EXPOSE")) {
  for (const argument of expose.getArguments()) {
    const [port] = argument.getValue().split("/");
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      report(expose.getRange().start.line, `EXPOSE ${argument.getValue()}: not a port number`);
    }
  }
}

if (problems.length) {
  problems.forEach((problem) => console.log(problem));
  console.log(`Dockerfile lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`Dockerfile lint: ${file} is clean`);
