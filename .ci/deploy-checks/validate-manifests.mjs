// Validates rendered Kubernetes manifests offline against the API schemas of kubernetes-models (and of
// prometheus-operator for ServiceMonitor and PodMonitor, and of cert-manager for the API's Certificate).
//
//   node validate-manifests.mjs <file.yaml>...
//
// kubernetes-models checks types, formats and required fields but lets unknown fields pass. This script also
// reports every field the schema's validator never looked at (a misspelt "readinesProbe" would otherwise be
// silently dropped by the API server): the object is validated through a Proxy that records the properties read.
// Exit status: 0 when every object is valid, 1 otherwise (or when no object was found).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const CUSTOM_RESOURCES = {
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
};

async function modelFor(apiVersion, kind) {
  const base = CUSTOM_RESOURCES[apiVersion] ?? `kubernetes-models/${apiVersion}`;
  try {
    const module = await import(`${base}/${kind}`);
    return module[kind];
  } catch (error) {
    return undefined;
  }
}

// Wraps value so that reads of its properties are recorded; objects whose keys the validator enumerates (maps such
// as labels) count as fully known.
function track(value, path, seen) {
  if (value === null || typeof value !== "object") {
    return value;
  }
  const record = { path, value, read: new Set(), enumerated: false };
  seen.push(record);
  const children = new Map();
  return new Proxy(value, {
    get(target, property, receiver) {
      if (typeof property === "string" && Object.prototype.hasOwnProperty.call(target, property)) {
        record.read.add(property);
        if (!children.has(property)) {
          children.set(property, track(target[property], `${path}/${property}`, seen));
        }
        return children.get(property);
      }
      return Reflect.get(target, property, receiver);
    },
    has(target, property) {
      if (typeof property === "string") {
        record.read.add(property);
      }
      return Reflect.has(target, property);
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(seen) {
  const unknown = [];
  for (const record of seen) {
    if (Array.isArray(record.value) || record.enumerated) {
      continue;
    }
    for (const key of Object.keys(record.value)) {
      if (!record.read.has(key)) {
        unknown.push(`${record.path}/${key}`);
      }
    }
  }
  return unknown;
}

async function validateObject(object) {
  const { apiVersion, kind } = object;
  const Model = await modelFor(apiVersion, kind);
  if (!Model) {
    return [`no schema for ${apiVersion} ${kind}`];
  }
  const seen = [];
  const problems = [];
  try {
    Model.prototype.validate.call(track(object, "", seen));
  } catch (error) {
    const details = (error.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
    problems.push(...(details.length ? details : [String(error.message ?? error)]));
  }
  return problems.concat(unknownFields(seen).map((path) => `${path}: unknown field`));
}

const files = process.argv.slice(2);
let objects = 0;
let failures = 0;
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (document.errors.length) {
      console.log(`FAIL ${file}: ${document.errors.map((e) => e.message).join("; ")}`);
      failures++;
      continue;
    }
    const object = document.toJS();
    if (object === null || typeof object !== "object") {
      continue;
    }
    objects++;
    const name = `${file}: ${object.kind ?? "?"} ${object.metadata?.name ?? "?"}`;
    const problems = await validateObject(object);
    if (problems.length) {
      failures++;
      console.log(`FAIL ${name}`);
      problems.forEach((problem) => console.log(`  ${problem}`));
    } else {
      console.log(`ok   ${name}`);
    }
  }
}
if (objects === 0) {
  console.log("FAIL no Kubernetes objects found");
  process.exit(1);
}
console.log(`${objects} objects, ${failures} invalid`);
process.exit(failures ? 1 : 0);
