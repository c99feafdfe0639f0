import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { SearchQuery } from "../operations";
import { UserRow } from "./Users";
import { Empty, ErrorState, Loading } from "./ui";

export function Search({ viewerHandle }: { viewerHandle?: string }) {
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(params.get("q") ?? "");
  const [debounced, setDebounced] = useState(q.trim());
  const inAddress = params.get("q") ?? "";
  useEffect(() => {
    const t = setTimeout(() => {
      setDebounced(q.trim());
      // The address follows the box only when they differ: a navigation made while the page was showing
      // (a tap on Home right after opening Search) would otherwise be replaced by this page again.
      if (q.trim() !== inAddress) setParams(q.trim() ? { q: q.trim() } : {}, { replace: true });
    }, 250);
    return () => clearTimeout(t);
  }, [q, inAddress, setParams]);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: SearchQuery,
    variables: { query: debounced },
    pause: debounced === "",
  });
  const results = data?.searchUsers;
  return (
    <section aria-labelledby="search-title">
      <div className="column-head"><h1 id="search-title">Search people</h1></div>
      <form className="card search" role="search" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="search">Handle or name</label>
        <input id="search" type="search" value={q} autoFocus autoComplete="off"
          onChange={(e) => setQ(e.target.value)} placeholder="Start typing, e.g. ali" />
      </form>
      {debounced === "" && <Empty>Find people by the start of their handle or name.</Empty>}
      {debounced !== "" && fetching && !results && <Loading label="Searching…" />}
      {error && <ErrorState error={error} onRetry={() => refetch({ requestPolicy: "network-only" })} />}
      {debounced !== "" && results?.length === 0 && <Empty>Nobody matches “{debounced}”.</Empty>}
      {debounced !== "" && results && results.length > 0 && (
        <ul className="users card" aria-label="Search results">
          {results.map((u, i) => <UserRow key={i} user={u} viewerHandle={viewerHandle} />)}
        </ul>
      )}
    </section>
  );
}
