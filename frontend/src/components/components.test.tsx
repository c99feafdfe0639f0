import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter, useLocation, type Location } from "react-router-dom";
import { Provider, type Client } from "urql";
import { fromValue, makeSubject, type Source } from "wonka";
import { emitFollowsChanged } from "../lib/events";
import { hiddenAccounts } from "../lib/social";
import { FIRST_DRAW, Home } from "./Home";
import { Search } from "./Search";
import { Tweet, type TweetRef } from "./Tweet";

const tweet = (id: string, text: string, extra: object = {}) => ({
  __typename: "Tweet",
  id,
  text,
  createdAt: new Date().toISOString(),
  likeCount: 0,
  viewerHasLiked: false,
  replyCount: 0,
  repostCount: 0,
  viewerHasReposted: false,
  inReplyTo: null,
  author: { __typename: "User", id: "u1", handle: "bob", displayName: "Bob", isCelebrity: false },
  ...extra,
});
const edge = (id: string, text: string, source = "TIMELINE") => ({ cursor: `c${id}`, source, node: tweet(id, text) });

interface Stub {
  client: Client;
  events: ReturnType<typeof makeSubject<unknown>>;
  subscribedWith: unknown[];
  mutations: { query: string; variables: unknown; result: ReturnType<typeof makeSubject<unknown>> }[];
}

function stub(pages: Record<string, unknown>): Stub {
  const events = makeSubject<unknown>();
  const s: Stub = { events, subscribedWith: [], mutations: [], client: undefined as unknown as Client };
  s.client = {
    executeQuery: (req: { variables: { after?: string | null } }) =>
      fromValue({ data: pages[req.variables.after ?? ""] ?? null, stale: false, hasNext: false }),
    executeSubscription: (req: { variables: unknown }) => {
      s.subscribedWith.push(req.variables);
      return events.source;
    },
    executeMutation: (req: { query: { loc?: { source: { body: string } } }; variables: unknown }) => {
      const result = makeSubject<unknown>();
      s.mutations.push({ query: req.query.loc?.source.body ?? "", variables: req.variables, result });
      return result.source as Source<unknown>;
    },
  } as unknown as Client;
  return s;
}

const renderWith = (client: Client, ui: React.ReactElement) =>
  render(<Provider value={client}><MemoryRouter>{ui}</MemoryRouter></Provider>);

const feedTexts = () =>
  within(screen.getByRole("region", { name: "Home timeline" })).getAllByTestId("tweet").map((el) => el.querySelector(".text")?.textContent);

describe("Home", () => {
  const firstPage = {
    homeTimeline: {
      edges: [edge("9", "nine"), edge("8", "eight", "CELEBRITY")],
      pageInfo: { hasNextPage: false, endCursor: "c8" },
    },
  };

  it("subscribes from the newest cursor, queues live tweets behind the bar, shows them, drops deleted ones", () => {
    const s = stub({ "": firstPage });
    renderWith(s.client, <Home viewerHandle="ann" />);
    expect(feedTexts()).toEqual(["nine", "eight"]);
    expect(screen.getAllByTestId("marker-celebrity")).toHaveLength(1);
    // The subscription resumes from the first page's newest entry, so nothing falls in between.
    expect(s.subscribedWith).toEqual([{ after: "c9" }]);

    const push = (ev: object) => act(() => s.events.next({ data: { homeTimelineEvents: ev } }));
    push({ kind: "NEW", tweetId: "10", cursor: "c10", source: "TIMELINE", tweet: tweet("10", "ten") });
    push({ kind: "NEW", tweetId: "9", cursor: "c9", source: "TIMELINE", tweet: tweet("9", "nine") }); // already shown
    push({ kind: "NEW", tweetId: "11", cursor: "c11", source: "TIMELINE", tweet: tweet("11", "eleven") });
    expect(screen.getByTestId("new-tweets-bar").textContent).toBe("Show 2 new tweets");
    expect(feedTexts()).toEqual(["nine", "eight"]); // nothing moves under the reader

    push({ kind: "DELETED", tweetId: "11", cursor: "c11", source: "TIMELINE", tweet: null });
    expect(screen.getByTestId("new-tweets-bar").textContent).toBe("Show 1 new tweet");
    fireEvent.click(screen.getByTestId("new-tweets-bar"));
    expect(feedTexts()).toEqual(["ten", "nine", "eight"]);
    expect(screen.queryByTestId("new-tweets-bar")).toBeNull();

    push({ kind: "DELETED", tweetId: "9", cursor: "c9", source: "TIMELINE", tweet: null });
    expect(feedTexts()).toEqual(["ten", "eight"]);
  });

  it("shows the empty state for an empty timeline and subscribes from the start", () => {
    const s = stub({ "": { homeTimeline: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
    renderWith(s.client, <Home viewerHandle="ann" />);
    expect(screen.getByText("Welcome to your timeline.")).toBeTruthy();
    expect(s.subscribedWith).toEqual([{ after: null }]);
  });

  it("loads the next page with Load more and never shows a tweet twice", () => {
    const s = stub({
      "": { homeTimeline: { edges: [edge("9", "nine"), edge("8", "eight")], pageInfo: { hasNextPage: true, endCursor: "c8" } } },
      c8: { homeTimeline: { edges: [edge("8", "eight"), edge("7", "seven")], pageInfo: { hasNextPage: false, endCursor: "c7" } } },
    });
    renderWith(s.client, <Home viewerHandle="ann" />);
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(feedTexts()).toEqual(["nine", "eight", "seven"]);
    expect(screen.getByText("You're all caught up.")).toBeTruthy();
  });
});

describe("Home's first draw", () => {
  it("puts the tweets one screen holds on screen first, then the rest of the page, and only then its end", () => {
    vi.useFakeTimers();
    try {
      const twenty = Array.from({ length: 20 }, (_, i) => edge(String(100 - i), `t${100 - i}`));
      const s = stub({ "": { homeTimeline: { edges: twenty, pageInfo: { hasNextPage: true, endCursor: "c81" } } } });
      renderWith(s.client, <Home viewerHandle="ann" />);
      expect(feedTexts()).toEqual(twenty.slice(0, FIRST_DRAW).map((e) => e.node.text));
      // The end of the feed is near the top while the page is partly drawn: no "Load more" yet.
      expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
      act(() => void vi.advanceTimersByTime(1));
      expect(feedTexts()).toEqual(twenty.map((e) => e.node.text));
      expect(screen.getByRole("button", { name: "Load more" })).toBeTruthy();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("Home after a follow", () => {
  it("fetches the first page again, so the new followee's tweets show up", () => {
    const pages: Record<string, unknown> = {
      "": { homeTimeline: { edges: [edge("9", "nine")], pageInfo: { hasNextPage: false, endCursor: "c9" } } },
    };
    const s = stub(pages);
    renderWith(s.client, <Home viewerHandle="ann" />);
    expect(feedTexts()).toEqual(["nine"]);
    pages[""] = {
      homeTimeline: { edges: [edge("12", "twelve"), edge("9", "nine")], pageInfo: { hasNextPage: false, endCursor: "c9" } },
    };
    act(() => emitFollowsChanged());
    expect(feedTexts()).toEqual(["twelve", "nine"]);
  });
});

describe("Tweet", () => {
  it("likes optimistically, then keeps the server's answer", async () => {
    const s = stub({});
    renderWith(s.client, <Tweet tweet={tweet("5", "hello", { likeCount: 2 }) as TweetRef} viewerHandle="ann" />);
    const button = screen.getByRole("button", { name: /^Like/ });
    button.focus();
    fireEvent.click(button);
    expect(screen.getByTestId("like-count").textContent).toBe("3");
    expect(screen.getByTestId("like-button").getAttribute("aria-pressed")).toBe("true");
    // One request at a time, without `disabled` (which would throw keyboard focus to the top of the page).
    expect(screen.getByTestId("like-button").getAttribute("aria-disabled")).toBe("true");
    fireEvent.click(button);
    expect(s.mutations).toHaveLength(1);
    expect(document.activeElement).toBe(button);
    await act(async () => s.mutations[0].result.next({ data: { likeTweet: { id: "5", likeCount: 7, viewerHasLiked: true } } }));
    expect(screen.getByTestId("like-count").textContent).toBe("7");
    expect(screen.getByTestId("like-button").getAttribute("aria-disabled")).toBeNull();
    expect(screen.getByRole("button", { name: "Unlike, 7 likes" })).toBe(document.activeElement);
  });

  it("rolls a failed like back and says why", async () => {
    const s = stub({});
    renderWith(s.client, <Tweet tweet={tweet("5", "hello", { likeCount: 2 }) as TweetRef} viewerHandle="ann" />);
    fireEvent.click(screen.getByRole("button", { name: /^Like/ }));
    await act(async () => s.mutations[0].result.next({ error: { networkError: new Error("down"), graphQLErrors: [] } }));
    expect(screen.getByTestId("like-count").textContent).toBe("2");
    expect(screen.getByRole("alert").textContent).toMatch(/reach Feedline/);
  });

  it("hides a deleted own tweet at once and brings it back if the delete fails", async () => {
    const s = stub({});
    renderWith(s.client, <Tweet tweet={tweet("5", "mine", { author: { __typename: "User", id: "u2", handle: "ann", displayName: "Ann", isCelebrity: false } }) as TweetRef} viewerHandle="ann" />);
    // Asks first; Cancel changes nothing and puts focus back on Delete.
    fireEvent.click(screen.getByRole("button", { name: "Delete tweet" }));
    expect(screen.getByRole("heading", { name: "Delete tweet?" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("heading", { name: "Delete tweet?" })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Delete tweet" }));
    expect(s.mutations).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Delete tweet" }));
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(screen.queryByTestId("tweet")).toBeNull();
    await act(async () => s.mutations[0].result.next({ error: { networkError: new Error("down"), graphQLErrors: [] } }));
    expect(screen.getByTestId("tweet")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toMatch(/reach Feedline/);
  });

  it("keeps its relative time up to date", () => {
    vi.useFakeTimers({ now: new Date("2026-11-25T12:00:00Z") });
    try {
      const createdAt = new Date("2026-11-25T11:59:50Z").toISOString();
      renderWith(stub({}).client, <Tweet tweet={tweet("5", "x", { createdAt }) as TweetRef} viewerHandle="ann" />);
      expect(document.querySelector("time")?.textContent).toBe("10s");
      act(() => vi.advanceTimersByTime(30_000));
      expect(document.querySelector("time")?.textContent).toBe("40s");
      act(() => vi.advanceTimersByTime(60_000));
      expect(document.querySelector("time")?.textContent).toBe("1m");
    } finally {
      vi.useRealTimers();
    }
  });

  it("offers Delete only on the viewer's own tweets", () => {
    renderWith(stub({}).client, <Tweet tweet={tweet("5", "theirs") as TweetRef} viewerHandle="ann" />);
    expect(screen.queryByRole("button", { name: "Delete tweet" })).toBeNull();
  });
});


describe("replies, reposts, mutes", () => {
  const by = (handle: string) => ({ __typename: "User", id: `id-${handle}`, handle, displayName: handle.toUpperCase(), isCelebrity: false });

  it("reposts optimistically, keeps the server's answer and focus, and links the reply count to the tweet page", async () => {
    const s = stub({});
    renderWith(s.client, <Tweet tweet={tweet("5", "hello", { repostCount: 1, replyCount: 2 }) as TweetRef} viewerHandle="ann" />);
    expect(screen.getByRole("link", { name: "Reply, 2 replies" }).getAttribute("href")).toBe("/t/5");
    const button = screen.getByRole("button", { name: "Repost, 1 repost" });
    button.focus();
    fireEvent.click(button);
    expect(screen.getByTestId("repost-count").textContent).toBe("2");
    expect(button.getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(button); // busy: one request at a time
    expect(s.mutations).toHaveLength(1);
    await act(async () => s.mutations[0].result.next({ data: { repost: { id: "5", repostCount: 4, viewerHasReposted: true } } }));
    expect(screen.getByTestId("repost-count").textContent).toBe("4");
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    expect(s.mutations[1].query).toMatch(/unrepost/);
  });

  it("rolls a refused repost back with the FORBIDDEN text", async () => {
    const s = stub({});
    renderWith(s.client, <Tweet tweet={tweet("5", "hello") as TweetRef} viewerHandle="ann" />);
    fireEvent.click(screen.getByTestId("repost-button"));
    await act(async () => s.mutations[0].result.next({
      error: { graphQLErrors: [{ message: "blocked", extensions: { code: "FORBIDDEN" } }] },
    }));
    expect(screen.getByTestId("repost-count").textContent).toBe("0");
    expect(screen.getByRole("alert").textContent).toBe("You're not allowed to do that.");
  });

  it("shows who reposted an entry, and who it replies to", () => {
    const s = stub({
      "": {
        homeTimeline: {
          edges: [{ ...edge("9", "nine"), repostedBy: by("cat") },
            { cursor: "c8", source: "TIMELINE", node: tweet("8", "eight", { inReplyTo: { id: "1", author: by("dan") } }) }],
          pageInfo: { hasNextPage: false, endCursor: "c8" },
        },
      },
    });
    renderWith(s.client, <Home viewerHandle="ann" />);
    expect(screen.getAllByTestId("reposted-by").map((el) => el.textContent)).toEqual(["⟲ Reposted by CAT"]);
    expect(screen.getByTestId("replying-to").textContent).toBe("Replying to @dan");
  });

  it("mutes from a tweet's menu: every entry of that account leaves the open feed, focus goes to the next one", async () => {
    const s = stub({
      "": {
        homeTimeline: {
          edges: [
            { cursor: "c9", source: "TIMELINE", node: tweet("9", "nine", { author: by("eve") }) },
            { cursor: "c8", source: "TIMELINE", node: tweet("8", "eight", { author: by("eve") }) },
            { cursor: "c7", source: "TIMELINE", node: tweet("7", "seven", { author: by("fay") }) },
            { cursor: "c6", source: "TIMELINE", node: tweet("6", "six", { author: by("fay") }), repostedBy: by("eve") },
            { cursor: "c5", source: "TIMELINE", node: tweet("5", "five", { author: by("gus") }) },
          ],
          pageInfo: { hasNextPage: false, endCursor: "c5" },
        },
      },
    });
    renderWith(s.client, <Home viewerHandle="ann" />);
    const more = screen.getAllByRole("button", { name: "More options for this tweet by @eve" })[0];
    expect(more.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(more);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    const mute = screen.getByRole("button", { name: "Mute @eve" });
    expect(document.activeElement).toBe(mute);
    fireEvent.click(mute);
    await act(async () => s.mutations[0].result.next({ data: { mute: { id: "id-eve", viewerMutes: true } } }));
    expect(feedTexts()).toEqual(["seven", "five"]);
    expect(document.activeElement?.textContent).toMatch(/seven/);
    act(() => hiddenAccounts.set("eve", false));
  });
});

describe("Search", () => {
  // The address is kept in step with the box, after a pause in typing. Opening the page changes nothing, so
  // the pause cannot replace a navigation made meanwhile (a tap on Home right after Search bounced back).
  it("writes the address only when the box changed it", () => {
    vi.useFakeTimers();
    const seen: Location[] = [];
    function Where() {
      seen.push(useLocation());
      return null;
    }
    try {
      render(
        <Provider value={stub({}).client}>
          <MemoryRouter initialEntries={["/search"]}><Search /><Where /></MemoryRouter>
        </Provider>,
      );
      act(() => vi.advanceTimersByTime(1_000));
      expect(new Set(seen.map((l) => l.key)).size).toBe(1); // no navigation at all
      fireEvent.change(screen.getByRole("searchbox", { name: "Handle or name" }), { target: { value: "ali " } });
      act(() => vi.advanceTimersByTime(1_000));
      expect(seen.at(-1)?.search).toBe("?q=ali");
    } finally {
      vi.useRealTimers();
    }
  });
});
