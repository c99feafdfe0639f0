import { graphql } from "./gql";

export const TweetFields = graphql(`
  fragment TweetFields on Tweet {
    id
    text
    createdAt
    likeCount
    viewerHasLiked
    replyCount
    repostCount
    viewerHasReposted
    author { id handle displayName isCelebrity }
  }
`);

// Not in TweetFields: graphcache reads a mutation's result back as null when the new tweet links another Tweet
// (a reply's inReplyTo), so what a tweet replies to is selected next to TweetFields where lists need it.

export const UserRowFields = graphql(`
  fragment UserRowFields on User { id handle displayName bio isCelebrity followerCount viewerFollows followsViewer }
`);

export const ViewerQuery = graphql(`
  query Viewer { viewer { id handle displayName } }
`);

export const HomeQuery = graphql(`
  query Home($first: Int, $after: String) {
    homeTimeline(first: $first, after: $after) {
      edges { cursor source repostedBy { id handle displayName } node { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const TimelineEventsSub = graphql(`
  subscription TimelineEvents($after: String) {
    homeTimelineEvents(after: $after) {
      kind tweetId cursor source
      repostedBy { id handle displayName }
      tweet { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields }
    }
  }
`);

export const SignUpMutation = graphql(`
  mutation SignUp($handle: String!, $password: String!, $displayName: String) {
    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName } }
  }
`);

export const LogInMutation = graphql(`
  mutation LogIn($handle: String!, $password: String!) {
    logIn(handle: $handle, password: $password) { token user { id handle displayName } }
  }
`);

export const LogOutMutation = graphql(`
  mutation LogOut { logOut }
`);

export const PostTweetMutation = graphql(`
  mutation PostTweet($text: String!) { postTweet(text: $text) { id ...TweetFields } }
`);

export const PostReplyMutation = graphql(`
  mutation PostReply($text: String!, $inReplyTo: ID!) {
    postTweet(text: $text, inReplyTo: $inReplyTo) { id ...TweetFields }
  }
`);

/** The count the cache raises when a reply is posted (src/cache.ts). */
export const ReplyCountFields = graphql(`
  fragment ReplyCountFields on Tweet { id replyCount }
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

export const RepostMutation = graphql(`
  mutation Repost($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }
`);

export const UnrepostMutation = graphql(`
  mutation Unrepost($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }
`);

/** A tweet page: the tweet and what it replies to, up to three levels up (the fourth only as a link). */
export const TweetPageQuery = graphql(`
  query TweetPage($id: ID!) {
    tweet(id: $id) {
      id
      ...TweetFields
      inReplyTo {
        id
        author { id handle }
        ...TweetFields
        inReplyTo { id ...TweetFields inReplyTo { id ...TweetFields inReplyTo { id } } }
      }
    }
  }
`);

export const TweetRepliesPage = graphql(`
  query TweetRepliesPage($id: ID!, $after: String) {
    tweet(id: $id) {
      id
      replies(first: 10, after: $after) {
        edges { cursor node { id author { id handle } ...TweetFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const ProfileQuery = graphql(`
  query Profile($handle: String!) {
    user(handle: $handle) {
      id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity viewerFollows
      followsViewer viewerMutes viewerBlocks viewerShowsReposts
    }
  }
`);

export const ProfileTweetsPage = graphql(`
  query ProfileTweetsPage($handle: String!, $after: String) {
    user(handle: $handle) {
      id
      tweets(first: 20, after: $after) {
        edges { cursor node { id inReplyTo { id author { id handle } } ...TweetFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const FollowersQuery = graphql(`
  query Followers($handle: String!, $after: String) {
    user(handle: $handle) {
      id
      followers(first: 20, after: $after) {
        totalCount
        edges { cursor node { ...UserRowFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const FollowingQuery = graphql(`
  query Following($handle: String!, $after: String) {
    user(handle: $handle) {
      id
      following(first: 20, after: $after) {
        totalCount
        edges { cursor node { ...UserRowFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const FollowMutation = graphql(`
  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }
`);

export const UnfollowMutation = graphql(`
  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }
`);

export const SetShowRepostsMutation = graphql(`
  mutation SetShowReposts($handle: String!, $showReposts: Boolean!) {
    follow(handle: $handle, showReposts: $showReposts) { id viewerFollows viewerShowsReposts followerCount }
  }
`);

/** What a mute, block or their undoing changes on the other account (the cache updates the profile from it). */
export const RelationFields = graphql(`
  fragment RelationFields on User {
    id viewerFollows followsViewer viewerMutes viewerBlocks viewerShowsReposts followerCount followingCount
  }
`);

export const MuteMutation = graphql(`
  mutation Mute($handle: String!) {
    mute(handle: $handle) { id ...RelationFields }
  }
`);

export const UnmuteMutation = graphql(`
  mutation Unmute($handle: String!) {
    unmute(handle: $handle) { id ...RelationFields }
  }
`);

export const BlockMutation = graphql(`
  mutation Block($handle: String!) {
    block(handle: $handle) { id ...RelationFields }
  }
`);

export const UnblockMutation = graphql(`
  mutation Unblock($handle: String!) {
    unblock(handle: $handle) { id ...RelationFields }
  }
`);

export const SearchQuery = graphql(`
  query Search($query: String!) { searchUsers(query: $query, first: 20) { ...UserRowFields } }
`);

export const SidebarQuery = graphql(`
  query Sidebar {
    viewer { id }
    suggestedUsers(first: 5) { ...UserRowFields }
    trending(first: 5) { id ...TweetFields author { ...UserRowFields } }
  }
`);

export const UpdateProfileMutation = graphql(`
  mutation UpdateProfile($displayName: String, $bio: String) {
    updateProfile(displayName: $displayName, bio: $bio) { id handle displayName bio }
  }
`);
