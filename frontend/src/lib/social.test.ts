import { countLabel, HiddenAccounts, leavesAfterOwnUnrepost, repostedByLabel, threadAncestors, toggled, withoutHidden } from "./social";

describe("toggled", () => {
  it("flips and counts, never below zero", () => {
    expect(toggled({ on: false, count: 2 })).toEqual({ on: true, count: 3 });
    expect(toggled({ on: true, count: 3 })).toEqual({ on: false, count: 2 });
    expect(toggled({ on: true, count: 0 })).toEqual({ on: false, count: 0 });
  });
});

describe("repostedByLabel", () => {
  it("names the reposter, or says the viewer did", () => {
    expect(repostedByLabel({ handle: "ann", displayName: "Ann Lee" })).toBe("Reposted by Ann Lee");
    expect(repostedByLabel({ handle: "ann", displayName: "" }, "bob")).toBe("Reposted by @ann");
    expect(repostedByLabel({ handle: "bob", displayName: "Bob" }, "bob")).toBe("You reposted");
  });
  it("counts with their noun", () => {
    expect(countLabel(0, "like")).toBe("0 likes");
    expect(countLabel(1, "repost")).toBe("1 repost");
    expect(countLabel(2, "repost")).toBe("2 reposts");
  });
});

describe("threadAncestors", () => {
  type N = { id: string; text?: string; inReplyTo?: N | null };
  const t = (id: string, inReplyTo: N | null = null): N => ({ id, text: `t${id}`, inReplyTo });
  it("lists what a tweet replies to, oldest first", () => {
    expect(threadAncestors(null)).toEqual({ ancestors: [], earlier: null });
    const chain = t("3", t("2", t("1")));
    expect(threadAncestors(chain).ancestors.map((a) => a.id)).toEqual(["1", "2", "3"]);
    expect(threadAncestors(chain).earlier).toBeNull();
  });
  it("stops at the level fetched with an id only, as a link to the earlier part", () => {
    const chain = t("4", t("3", t("2", { id: "1" })));
    const { ancestors, earlier } = threadAncestors(chain);
    expect(ancestors.map((a) => a.id)).toEqual(["2", "3", "4"]);
    expect(earlier).toBe("1");
  });
  it("never loops on a cycle", () => {
    const a: { id: string; text: string; inReplyTo: unknown } = { id: "a", text: "", inReplyTo: null };
    const b = { id: "b", text: "", inReplyTo: a };
    a.inReplyTo = b;
    expect(threadAncestors(b as never).ancestors.map((x: { id: string }) => x.id)).toEqual(["a", "b"]);
  });
});

describe("withoutHidden", () => {
  const e = (id: string, author: string, repostedBy?: string) => ({
    cursor: id,
    node: { id, author: { handle: author } },
    repostedBy: repostedBy ? { handle: repostedBy } : null,
  });
  it("drops a muted or blocked account's posts and what it reposted", () => {
    const edges = [e("1", "ann"), e("2", "bob"), e("3", "cat", "bob"), e("4", "bob", "cat"), e("5", "cat")];
    expect(withoutHidden(edges, new Set(["bob"])).map((x) => x.node.id)).toEqual(["1", "5"]);
    expect(withoutHidden(edges, new Set()).length).toBe(5);
    expect(withoutHidden(edges, new Set(["nobody"])).length).toBe(5);
  });
});

describe("HiddenAccounts", () => {
  it("keeps a new set per change and tells its listeners", () => {
    const h = new HiddenAccounts();
    let calls = 0;
    const off = h.subscribe(() => calls++);
    const before = h.get();
    h.set("bob", true);
    expect(h.get().has("bob")).toBe(true);
    expect(h.get()).not.toBe(before);
    h.set("bob", true); // no change, no notification
    h.set("bob", false);
    expect(h.get().has("bob")).toBe(false);
    expect(calls).toBe(2);
    off();
    h.set("ann", true);
    expect(calls).toBe(2);
  });
});

describe("leavesAfterOwnUnrepost", () => {
  const e = (repostedBy?: string) => ({ node: { id: "1", author: { handle: "ann" } }, repostedBy: repostedBy ? { handle: repostedBy } : null });
  it("removes only an entry that is there because of the viewer's repost", () => {
    expect(leavesAfterOwnUnrepost(e("me"), "me")).toBe(true);
    expect(leavesAfterOwnUnrepost(undefined, "me")).toBe(true);
    expect(leavesAfterOwnUnrepost(e(), "me")).toBe(false); // the viewer follows its author: it stays
    expect(leavesAfterOwnUnrepost(e("bob"), "me")).toBe(false); // someone else's repost shows it
  });
});
