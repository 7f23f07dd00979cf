// Field schemas shared by the API kinds and the federator's configuration file.
// Patterns are RE2-compatible (no look-around) because the API server evaluates them with Go's regexp.
import { z } from "zod";

const DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
/** A lower-case DNS name (RFC 1123 subdomain), as Wire uses for backend and infrastructure domains. */
export const DNS_NAME_PATTERN = `^${DNS_LABEL}(\\.${DNS_LABEL})*$`;
const DNS_NAME = new RegExp(DNS_NAME_PATTERN);

/** A Kubernetes object name (RFC 1123 subdomain, at most 253 characters). */
export const objectName = (description: string) =>
  z.string().min(1).max(253).regex(DNS_NAME, { error: "must be a lower-case RFC 1123 name such as my-secret" }).meta({ description });

export const dnsName = (description: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_NAME, { error: "must be a lower-case DNS name such as example.com (letters a-z, digits, '-' and '.')" })
    .meta({ description });

export const HOST_PORT_PATTERN = "^[^\\s:/]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:.]+\\]:[0-9]{1,5}$";
export const hostPort = (description: string) =>
  z.string().regex(new RegExp(HOST_PORT_PATTERN), { error: "must be host:port, such as 10.0.0.10:53 or [::1]:53" }).meta({ description });

export const httpUrl = (description: string) =>
  z.string().max(2048).regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { error: "must be an http:// or https:// URL" }).meta({ description });

/** A cert-manager / Go duration such as 2160h or 90m. */
export const duration = (description: string) =>
  z
    .string()
    .regex(/^([0-9]+(\.[0-9]+)?(h|m|s))+$/, { error: "must be a duration such as 2160h, 90m or 1h30m" })
    .meta({ description });

export const strategy = z
  .enum(["AllowNone", "AllowAll", "AllowList"])
  .meta({
    description:
      "Which remote backends may federate: AllowNone (nobody), AllowAll (any backend whose certificate matches its discovered infra domain), AllowList (only the FederationPeers of this config). Wire's allowNone, allowAll and allowDynamic.",
  });

export const searchPolicy = z
  .enum(["no_search", "exact_handle_search", "full_search"])
  .meta({
    description:
      "What users of the remote backend may search for here: no_search, exact_handle_search (a handle typed in full) or full_search (handles and display names). Wire's FederatedUserSearchPolicy.",
  });

const restrictionType = z.enum(["AllowAll", "RestrictByTeam"]).meta({
  description:
    "AllowAll: users of every team of the remote backend may find and connect to local users; RestrictByTeam: only users of the remote teams in `teams` (Wire's allow_all and restrict_by_team).",
});

// Wire's "Team Restriction" (wire-server docs/src/understand/configure-federation.md): the listed
// teams are the remote backend's, and an empty list is valid (nobody of the remote yet).
export const restriction = z
  .strictObject({
    type: restrictionType,
    teams: z
      .array(z.uuid({ error: "must be a team id (UUID)" }))
      .max(1000)
      .optional()
      .meta({
        description:
          "Ids (UUIDs) of the remote backend's teams whose users may find local users in federated search and send them connection requests; required with RestrictByTeam (an empty list allows nobody yet), forbidden otherwise.",
      }),
  })
  .superRefine((value, ctx) => {
    if (value.type === "RestrictByTeam" && value.teams === undefined) {
      ctx.addIssue({ code: "custom", path: ["teams"], message: "teams is required when type is RestrictByTeam (an empty list allows nobody yet)" });
    }
    if (value.type === "AllowAll" && value.teams !== undefined) {
      ctx.addIssue({ code: "custom", path: ["teams"], message: "teams is only allowed when type is RestrictByTeam" });
    }
  })
  .meta({
    description: "Which users of the remote backend may find and contact local users, by their team (Wire's team restriction, enforced by brig).",
    "x-kubernetes-validations": [
      {
        rule: "self.type == 'RestrictByTeam' ? has(self.teams) : !has(self.teams)",
        message: "teams is required when type is RestrictByTeam and only allowed then",
        fieldPath: ".teams",
      },
    ],
  });

export const keyRef = (what: string, defaultKey: string) =>
  z
    .strictObject({
      name: objectName(`Name of the ${what} in the same namespace.`),
      key: z.string().min(1).max(253).default(defaultKey).meta({ description: `Key in the ${what} that holds the PEM data.` }),
    })
    .meta({ description: `A key of a ${what} in the same namespace.` });

/** How many of the given properties are set, as a CEL expression, for "exactly one of" rules. */
export const celCountSet = (fields: readonly string[]) => fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(" + ");

/** Adds a zod issue unless exactly one of `fields` is present, naming the object's path and the fields. */
export const exactlyOne =
  (fields: readonly string[]) =>
  (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const set = fields.filter((f) => value[f] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `exactly one of ${fields.join(", ")} must be set (found ${set.length === 0 ? "none" : set.join(", ")})`,
      });
    }
  };

export const conditionStatus = z.enum(["True", "False", "Unknown"]);

/** The metav1.Condition shape, as every Kubernetes status uses it. */
export const condition = z
  .object({
    type: z.string().meta({ description: "Type of condition in CamelCase." }),
    status: conditionStatus.meta({ description: "True, False or Unknown." }),
    reason: z.string().meta({ description: "One-word CamelCase reason for the last transition." }),
    message: z.string().meta({ description: "What happened and, when not True, what to do about it." }),
    lastTransitionTime: z.string().meta({ description: "When the status last changed (RFC 3339)." }),
    observedGeneration: z.number().int().optional().meta({ description: "The .metadata.generation this condition was computed from." }),
  })
  .meta({ description: "An observation of the resource's state." });

export type Condition = z.infer<typeof condition>;

export const conditions = z
  .array(condition)
  .optional()
  .meta({
    description: "Current state of the resource, one entry per condition type.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  });
