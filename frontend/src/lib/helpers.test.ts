import type { Cache } from "@urql/exchange-graphcache";
import { removeTweetFromLists } from "../cache";
import { toggledLike } from "../components/Tweet";
import { StatusStore } from "./connection";
import { whoToFollow } from "./suggest";
import { fullTime, monthYear, relativeTime } from "./time";

describe("relativeTime", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
  it("is short like a timeline", () => {
    expect(relativeTime(ago(2), now)).toBe("now");
    expect(relativeTime(ago(42), now)).toBe("42s");
    expect(relativeTime(ago(5 * 60), now)).toBe("5m");
    expect(relativeTime(ago(3 * 3600), now)).toBe("3h");
    expect(relativeTime("2026-11-03T08:00:00Z", now)).toBe("Nov 3");
    expect(relativeTime("2024-11-03T08:00:00Z", now)).toBe("Nov 3, 2024");
    expect(relativeTime("garbage", now)).toBe("");
  });
  it("formats full times and months with formatters made once", () => {
    expect(fullTime("2026-11-03T08:00:00Z")).toBe(new Date("2026-11-03T08:00:00Z").toLocaleString(undefined,
      { dateStyle: "medium", timeStyle: "short" }));
    expect(fullTime("garbage")).toBe("");
    expect(monthYear("2026-11-03T08:00:00Z")).toMatch(/^(October|November) 2026$/);
  });
});

describe("whoToFollow", () => {
  const u = (id: string, viewerFollows = false) => ({ id, handle: `h${id}`, viewerFollows });
  it("prefers friends of friends", () => {
    expect(whoToFollow([u("1"), u("2")], [u("3")], "9").map((x) => x.id)).toEqual(["1", "2"]);
  });
  it("falls back to trending authors, never the viewer, nobody followed, no duplicates, capped", () => {
    const authors = [u("9"), u("3"), u("3"), u("4", true), u("5"), u("6"), u("7"), u("8")];
    expect(whoToFollow([], authors, "9", 3).map((x) => x.id)).toEqual(["3", "5", "6"]);
  });
});

describe("StatusStore", () => {
  it("is connecting until the first connection, then live / reconnecting", () => {
    const s = new StatusStore();
    const seen: string[] = [];
    s.subscribe(() => seen.push(s.get()));
    expect(s.get()).toBe("connecting");
    s.closed();
    expect(s.get()).toBe("connecting");
    s.connected();
    s.closed();
    s.closed();
    s.connected();
    expect(seen).toEqual(["live", "reconnecting", "live"]);
  });
});

describe("toggledLike", () => {
  it("flips and counts, never below zero", () => {
    expect(toggledLike({ liked: false, count: 2 })).toEqual({ liked: true, count: 3 });
    expect(toggledLike({ liked: true, count: 0 })).toEqual({ liked: false, count: 0 });
  });
});

describe("removeTweetFromLists", () => {
  // A minimal in-memory stand-in for graphcache's Cache: records (entity -> field key -> value) and links.
  function fakeCache(records: Record<string, Record<string, unknown>>) {
    const key = (field: string, args?: object | null) =>
      args && Object.keys(args).length ? `${field}(${JSON.stringify(args)})` : field;
    const cache = {
      keyOfEntity: (e: { __typename: string; id: string }) => `${e.__typename}:${e.id}`,
      inspectFields: (entity: string) =>
        Object.keys(records[entity] ?? {}).map((k) => {
          const m = /^(\w+)(?:\((.*)\))?$/.exec(k)!;
          return { fieldKey: k, fieldName: m[1], arguments: m[2] ? JSON.parse(m[2]) : null };
        }),
      resolve: (entity: string, field: string, args?: object) => records[entity]?.[key(field, args)] ?? null,
      link: (entity: string, field: string, a: unknown, b?: unknown) => {
        const [args, value] = b === undefined ? [undefined, a] : [a as object, b];
        records[entity][key(field, args)] = value;
      },
    };
    return cache as unknown as Cache;
  }

  it("drops the tweet from home pages, its author's tweets and trending, and nothing else", () => {
    const records: Record<string, Record<string, unknown>> = {
      Query: {
        'homeTimeline({"first":20})': "home1",
        'homeTimeline({"first":20,"after":"c"})': "home2",
        'trending({"first":5})': ["Tweet:1", "Tweet:2"],
      },
      home1: { edges: ["e1", "e2"] },
      home2: { edges: ["e3"] },
      e1: { node: "Tweet:1" },
      e2: { node: "Tweet:2" },
      e3: { node: "Tweet:3" },
      "Tweet:1": { author: "User:7" },
      "User:7": { 'tweets({"first":20})': "ut" },
      ut: { edges: ["e1", "e3"] },
    };
    removeTweetFromLists(fakeCache(records), "1");
    expect(records.home1.edges).toEqual(["e2"]);
    expect(records.home2.edges).toEqual(["e3"]);
    expect(records.ut.edges).toEqual(["e3"]);
    expect(records.Query['trending({"first":5})']).toEqual(["Tweet:2"]);
  });
});
