// Kubernetes Events on the objects the operator reports about (core/v1, as kubectl describe shows them).
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.ts";
import type { KubeObject } from "./objects.ts";
import { BUILTIN_RESOURCES, resourcePath } from "./resources.ts";
import type { RestClient } from "./rest.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

export function createEventRecorder(client: RestClient, component: string, log: Logger): EventRecorder {
  return {
    async record(object, type, reason, message) {
      const namespace = object.metadata.namespace ?? "default";
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      const event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${object.metadata.name}.${randomBytes(8).toString("hex")}`, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata["uid"],
          resourceVersion: object.metadata["resourceVersion"],
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      try {
        await client.request("POST", resourcePath(BUILTIN_RESOURCES.Event, namespace), { body: event });
      } catch (error) {
        // An Event is a courtesy: failing to record one must not fail the reconcile.
        log.warn({ err: error, object: object.metadata.name, reason }, "could not record event");
      }
    },
  };
}
