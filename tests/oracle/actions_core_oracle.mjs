// Reads a JSON array of {command, message, properties} from stdin and issues
// each through the real @actions/core, which writes one workflow command line
// per entry to stdout. The tests compare deploygate's lines to these, byte for byte.
import * as core from "@actions/core";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const requests = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const issue = { error: core.error, warning: core.warning, notice: core.notice };
for (const { command, message, properties } of requests) {
  issue[command](message, properties);
}
