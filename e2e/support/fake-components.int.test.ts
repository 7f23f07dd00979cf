import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeComponents, type FakeComponents } from "./fake-components.ts";

let fakes: FakeComponents;
beforeAll(async () => {
  fakes = await startFakeComponents();
});
afterAll(async () => {
  await fakes?.close();
});

describe("fake brig, galley and cargohold", () => {
  it("record each request and echo it by default", async () => {
    const response = await fetch(`${fakes.services.galley}/federation/on-conversation-updated`, { method: "POST", body: '{"a":1}', headers: { "wire-origin-domain": "a.example" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ component: "galley", path: "/federation/on-conversation-updated", body: '{"a":1}' });
    const [recorded] = await fakes.galley.waitForRequests(1);
    expect(recorded?.method).toBe("POST");
    expect(recorded?.headers["wire-origin-domain"]).toBe("a.example");
    expect(fakes.brig.requests).toHaveLength(0);
  });

  it("answer what the test configures", async () => {
    fakes.cargohold.respondWith((request) => ({ status: 404, headers: { "content-type": "text/plain" }, body: `no ${request.path}` }));
    const response = await fetch(`${fakes.services.cargohold}/federation/get-asset`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("no /federation/get-asset");
  });

  it("time out waiting for requests that never come", async () => {
    await expect(fakes.brig.waitForRequests(1, 50)).rejects.toThrow(/received 0 of 1/);
  });
});
