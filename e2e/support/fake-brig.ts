// A fake of brig's federation remotes API, written from wire-server's source and behaving like it:
//   routes      libs/wire-api/src/Wire/API/Routes/Internal/Brig.hs (FederationRemotesAPI, under /i)
//   JSON        libs/wire-api/src/Wire/API/Routes/FederationDomainConfig.hs
//   handlers    services/brig/src/Brig/API/Internal.hs (error messages, thrown as
//               FederationUnexpectedError: 533 federation-unexpected-wai-error, libs/wire-api-federation/src/Wire/API/Federation/Error.hs)
//   storage     libs/wire-subsystems/src/Wire/FederationConfigStore/Cassandra.hs (tables federation_remotes
//               and federation_remote_teams, the config file's precedence, maxKnownNodes, POST adding teams
//               without dropping old ones, PUT rewriting the teams even when the remote does not exist)
//   config file services/brig/src/Brig/Options.hs (setFederationStrategy, setFederationDomainConfigs
//               entries are {domain, search_policy} with restriction allow_all)
//   bad bodies  services/brig/src/Brig/Run.hs (bodyParserErrorFormatter: 400 bad-request)
// Its "Cassandra" is a JSON file, so it keeps its state across operator (and its own) restarts.
// It can be slow, failing or down (down: the component's listener, FakeComponent.down()).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { brigRemote, brigRemoteTeam, type BrigRemote, type BrigRemotes, type BrigSearchPolicy, type BrigStrategy } from "../../operator/brig/brig-api.ts";
import { startFakeComponent, type FakeComponent, type FakeResponse, type Interceptor, type RecordedRequest } from "./fake-components.ts";

export interface ConfigFileRemote {
  readonly domain: string;
  readonly search_policy: BrigSearchPolicy;
}

export interface FakeBrigOptions {
  /** Where the "Cassandra" tables live; none: in memory only. */
  readonly stateFile?: string;
  /** brig.config.optSettings.setFederationDomainConfigs. */
  readonly configFileRemotes?: readonly ConfigFileRemote[];
  /** brig.config.optSettings.setFederationStrategy; unset: allowNone (defFederationDomainConfigs). */
  readonly strategy?: BrigStrategy;
  /** maxKnownNodes (10000 in brig). */
  readonly maxRemotes?: number;
}

interface Row {
  search_policy: BrigSearchPolicy;
  /** brig's Int32 encoding: 0 allow_all, 1 restrict_by_team (fromRestriction). */
  restriction: 0 | 1;
}

interface Tables {
  federation_remotes: Record<string, Row>;
  federation_remote_teams: Record<string, string[]>;
}

export interface BrigApiRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface FakeBrigApi {
  readonly intercept: Interceptor;
  /** Every request brig's federation API answered. */
  readonly log: BrigApiRequest[];
  /** Requests that change brig (POST, PUT, DELETE) it answered with 2xx. */
  writes(): number;
  remotes(): BrigRemotes;
  /** Delay every answer (brig is slow). */
  setDelay(ms: number): void;
  /** Answer every request with this status and no Wai error (brig or its proxy failing); undefined: work again. */
  setFailure(status: number | undefined): void;
  setStrategy(strategy: BrigStrategy | undefined): void;
  setConfigFileRemotes(remotes: readonly ConfigFileRemote[]): void;
}

export interface FakeBrig extends FakeBrigApi {
  readonly component: FakeComponent;
  readonly url: string;
  close(): Promise<void>;
}

const json = (status: number, body: unknown): FakeResponse => ({ status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const ok = () => json(200, []); // servant's JSON of ()
const waiError = (status: number, label: string, message: string) => json(status, { code: status, label, message });
/** FederationUnexpectedError as brig throws it (federationUnexpectedError in Wire/API/Federation/Error.hs). */
const unexpected = (message: string) => waiError(533, "federation-unexpected-wai-error", `Could parse body, but got an unexpected error response: ${message}`);

// Haskell's derived Show of the values brig puts into its messages.
const showDomain = (domain: string) => `Domain {_domainText = ${JSON.stringify(domain)}}`;
const SHOW_POLICY: Record<BrigSearchPolicy, string> = { no_search: "NoSearch", exact_handle_search: "ExactHandleSearch", full_search: "FullSearch" };
const showConfig = (r: BrigRemote) =>
  `FederationDomainConfig {domain = ${showDomain(r.domain)}, searchPolicy = ${SHOW_POLICY[r.search_policy]}, restriction = ${
    r.restriction.tag === "allow_all" ? "FederationRestrictionAllowAll" : `FederationRestrictionByTeam [${r.restriction.value.join(",")}]`
  }}`;

const DIVERGING_ADD =
  "keeping track of remote domains in the brig config file is deprecated, but as long as we do that, adding a domain with different settings than in the config file is not allowed.  want ";
const DIVERGING_UPDATE =
  "keeping track of remote domains in the brig config file is deprecated, but as long as we do that, removing or updating items listed in the config file is not allowed.";

// Data.Domain's mkDomain: labels of letters, digits and '-', normalised to lower case.
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseBody<T>(request: RecordedRequest, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } }): T | FakeResponse {
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString("utf8"));
  } catch (error) {
    return waiError(400, "bad-request", `Error in $: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : waiError(400, "bad-request", `Error in $: ${parsed.error.message}`);
}

/** A FederationDomainConfig body; its domain parses as Data.Domain does (lower-cased, DNS labels). */
function parseRemote(request: RecordedRequest): BrigRemote | FakeResponse {
  const body = parseBody(request, brigRemote);
  if ("status" in body) return body;
  if (!DOMAIN.test(body.domain.toLowerCase())) return waiError(400, "bad-request", `Error in $.domain: invalid domain ${JSON.stringify(body.domain)}`);
  return body;
}

export function createFakeBrigApi(options: FakeBrigOptions = {}): FakeBrigApi {
  let configFile = new Map((options.configFileRemotes ?? []).map((r) => [r.domain, r]));
  let strategy = options.strategy;
  let delayMs = 0;
  let failure: number | undefined;
  const maxRemotes = options.maxRemotes ?? 10_000;
  const log: BrigApiRequest[] = [];
  const tables: Tables =
    options.stateFile !== undefined && existsSync(options.stateFile)
      ? (JSON.parse(readFileSync(options.stateFile, "utf8")) as Tables)
      : { federation_remotes: {}, federation_remote_teams: {} };
  const save = () => {
    if (options.stateFile === undefined) return;
    mkdirSync(dirname(options.stateFile), { recursive: true });
    writeFileSync(options.stateFile, JSON.stringify(tables));
  };

  const configEntry = (domain: string): BrigRemote | undefined => {
    const entry = configFile.get(domain);
    return entry === undefined ? undefined : { domain, search_policy: entry.search_policy, restriction: { tag: "allow_all", value: null } };
  };
  const teamsOf = (domain: string) => tables.federation_remote_teams[domain] ?? [];
  const dbEntry = (domain: string): BrigRemote | undefined => {
    const row = tables.federation_remotes[domain];
    if (row === undefined) return undefined;
    return { domain, search_policy: row.search_policy, restriction: row.restriction === 0 ? { tag: "allow_all", value: null } : { tag: "restrict_by_team", value: teamsOf(domain) } };
  };
  const addTeams = (domain: string, teams: readonly string[]) => {
    const set = new Set([...teamsOf(domain), ...teams]);
    tables.federation_remote_teams[domain] = [...set];
  };
  const remotes = (): BrigRemotes => ({
    remotes: [...Object.keys(tables.federation_remotes).map((d) => dbEntry(d)!), ...[...configFile.keys()].map((d) => configEntry(d)!)],
    strategy: strategy ?? "allowNone",
    update_interval: 10,
  });

  const add = (request: RecordedRequest): FakeResponse => {
    const body = parseRemote(request);
    if ("status" in body) return body;
    const domain = body.domain.toLowerCase();
    const fromFile = configEntry(domain);
    const wanted = { ...body, domain };
    if (fromFile !== undefined && JSON.stringify(fromFile) !== JSON.stringify({ domain, search_policy: wanted.search_policy, restriction: wanted.restriction })) {
      return unexpected(`${DIVERGING_ADD}Just ${showConfig(wanted)}or Nothing, got Just (${showConfig(fromFile)})`);
    }
    if (Object.keys(tables.federation_remotes).length >= maxRemotes) {
      return unexpected("Maximum number of remote backends reached.  If you need to create more connections, please contact wire.com.");
    }
    tables.federation_remotes[domain] = { search_policy: wanted.search_policy, restriction: wanted.restriction.tag === "allow_all" ? 0 : 1 };
    if (wanted.restriction.tag === "restrict_by_team") addTeams(domain, wanted.restriction.value);
    save();
    return ok();
  };

  const update = (request: RecordedRequest, domain: string): FakeResponse => {
    const body = parseRemote(request);
    if ("status" in body) return body;
    const wanted = { ...body, domain: body.domain.toLowerCase() };
    if (domain !== wanted.domain) return unexpected(`federation domain of a given peer cannot be changed from ${showDomain(wanted.domain)} to ${showDomain(domain)}.`);
    if (configFile.has(domain)) return unexpected(DIVERGING_UPDATE);
    const exists = tables.federation_remotes[domain] !== undefined;
    if (exists) tables.federation_remotes[domain] = { search_policy: wanted.search_policy, restriction: wanted.restriction.tag === "allow_all" ? 0 : 1 };
    tables.federation_remote_teams[domain] = wanted.restriction.tag === "restrict_by_team" ? [...new Set(wanted.restriction.value)] : [];
    save();
    return exists ? ok() : unexpected(`federation domain does not exist and cannot be updated: (${showDomain(domain)},${showConfig(wanted)})`);
  };

  const addTeam = (request: RecordedRequest, domain: string): FakeResponse => {
    const body = parseBody(request, brigRemoteTeam);
    if ("status" in body) return body;
    const entry = configEntry(domain) ?? dbEntry(domain);
    if (entry === undefined) return unexpected("Federation domain does not exist.  Please add it first.");
    if (entry.restriction.tag === "allow_all") {
      return unexpected("Federation is not configured to be restricted by teams. Therefore adding a team to a remote domain is not allowed.");
    }
    addTeams(domain, [body.team_id.toLowerCase()]);
    save();
    return ok();
  };

  const route = (request: RecordedRequest): FakeResponse | undefined => {
    const path = request.path.split("?")[0] ?? "";
    if (!path.startsWith("/i/federation/remotes")) return undefined;
    const parts = path.split("/").slice(4).map(decodeURIComponent); // after /i/federation/remotes
    const [rawDomain, teams, team, ...rest] = parts;
    if (rest.length > 0) return json(404, { code: 404, label: "not-found", message: "Not found" });
    if (rawDomain === undefined) {
      if (request.method === "GET") return json(200, remotes());
      if (request.method === "POST") return add(request);
      return json(405, { code: 405, label: "method-not-allowed", message: "Method not allowed" });
    }
    const domain = rawDomain.toLowerCase();
    if (!DOMAIN.test(domain)) return { status: 400, headers: { "content-type": "text/plain" }, body: `Invalid capture: domain: ${rawDomain}` };
    if (teams === undefined) return request.method === "PUT" ? update(request, domain) : json(405, { code: 405, label: "method-not-allowed", message: "Method not allowed" });
    if (teams !== "teams") return json(404, { code: 404, label: "not-found", message: "Not found" });
    if (team === undefined) {
      if (request.method === "GET") return json(200, teamsOf(domain).map((team_id) => ({ team_id })));
      if (request.method === "POST") return addTeam(request, domain);
      return json(405, { code: 405, label: "method-not-allowed", message: "Method not allowed" });
    }
    if (request.method !== "DELETE") return json(405, { code: 405, label: "method-not-allowed", message: "Method not allowed" });
    if (!UUID.test(team)) return { status: 400, headers: { "content-type": "text/plain" }, body: `Invalid capture: team: ${team}` };
    tables.federation_remote_teams[domain] = teamsOf(domain).filter((t) => t !== team.toLowerCase());
    save();
    return ok();
  };

  return {
    log,
    async intercept(request) {
      if (!request.path.startsWith("/i/federation/remotes")) return undefined;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const answer = failure !== undefined ? { status: failure, headers: { "content-type": "text/plain" }, body: "upstream unavailable" } : route(request);
      if (answer === undefined) return undefined;
      log.push({ method: request.method, path: request.path, status: answer.status });
      return answer;
    },
    writes: () => log.filter((r) => r.method !== "GET" && r.status >= 200 && r.status < 300).length,
    remotes,
    setDelay(ms) {
      delayMs = ms;
    },
    setFailure(status) {
      failure = status;
    },
    setStrategy(next) {
      strategy = next;
    },
    setConfigFileRemotes(next) {
      configFile = new Map(next.map((r) => [r.domain, r]));
    },
  };
}

/** A standalone fake brig (only its federation API; other paths get the component's echo). */
export async function startFakeBrig(options: FakeBrigOptions = {}, host = "127.0.0.1"): Promise<FakeBrig> {
  const api = createFakeBrigApi(options);
  const component = await startFakeComponent("brig", host, api.intercept);
  return { ...api, component, url: component.url, close: () => component.close() };
}
