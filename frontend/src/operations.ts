import { graphql } from "./gql";

export const TweetFields = graphql(`
  fragment TweetFields on Tweet {
    id
    text
    createdAt
    likeCount
    viewerHasLiked
    author { id handle displayName isCelebrity }
  }
`);

export const ViewerQuery = graphql(`
  query Viewer { viewer { id handle displayName } }
`);

export const HomeQuery = graphql(`
  query Home($first: Int, $after: String) {
    homeTimeline(first: $first, after: $after) {
      edges { cursor source node { ...TweetFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const TimelineEventsSub = graphql(`
  subscription TimelineEvents($after: String) {
    homeTimelineEvents(after: $after) { kind tweetId cursor source tweet { ...TweetFields } }
  }
`);

export const SignUpMutation = graphql(`
  mutation SignUp($handle: String!, $password: String!, $displayName: String) {
    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle } }
  }
`);

export const LogInMutation = graphql(`
  mutation LogIn($handle: String!, $password: String!) {
    logIn(handle: $handle, password: $password) { token user { id handle } }
  }
`);

export const PostTweetMutation = graphql(`
  mutation PostTweet($text: String!) { postTweet(text: $text) { ...TweetFields } }
`);

export const DeleteTweetMutation = graphql(`
  mutation DeleteTweet($id: ID!) { deleteTweet(id: $id) }
`);

export const LikeMutation = graphql(`
  mutation Like($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }
`);

export const UnlikeMutation = graphql(`
  mutation Unlike($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }
`);

export const ProfileQuery = graphql(`
  query Profile($handle: String!) {
    user(handle: $handle) {
      id handle displayName bio followerCount followingCount tweetCount isCelebrity viewerFollows followsViewer
      tweets(first: 20) { edges { cursor node { ...TweetFields } } pageInfo { hasNextPage endCursor } }
      followers(first: 20) { totalCount edges { cursor node { id handle displayName } } }
      following(first: 20) { totalCount edges { cursor node { id handle displayName } } }
    }
  }
`);

export const FollowMutation = graphql(`
  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows followerCount } }
`);

export const UnfollowMutation = graphql(`
  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows followerCount } }
`);

export const SearchQuery = graphql(`
  query Search($query: String!) { searchUsers(query: $query) { id handle displayName isCelebrity } }
`);

export const SidebarQuery = graphql(`
  query Sidebar {
    suggestedUsers(first: 5) { id handle displayName isCelebrity }
    trending(first: 5) { ...TweetFields }
  }
`);
