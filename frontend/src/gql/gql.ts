/* eslint-disable */
import * as types from './graphql';
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment TweetFields on Tweet {\n    id\n    text\n    createdAt\n    likeCount\n    viewerHasLiked\n    replyCount\n    repostCount\n    viewerHasReposted\n    author { id handle displayName isCelebrity }\n  }\n": typeof types.TweetFieldsFragmentDoc,
    "\n  fragment UserRowFields on User { id handle displayName bio isCelebrity followerCount viewerFollows followsViewer }\n": typeof types.UserRowFieldsFragmentDoc,
    "\n  query Viewer { viewer { id handle displayName } }\n": typeof types.ViewerDocument,
    "\n  query Home($first: Int, $after: String) {\n    homeTimeline(first: $first, after: $after) {\n      edges { cursor source repostedBy { id handle displayName } node { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.HomeDocument,
    "\n  subscription TimelineEvents($after: String) {\n    homeTimelineEvents(after: $after) {\n      kind tweetId cursor source\n      repostedBy { id handle displayName }\n      tweet { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields }\n    }\n  }\n": typeof types.TimelineEventsDocument,
    "\n  mutation SignUp($handle: String!, $password: String!, $displayName: String) {\n    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName } }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation LogIn($handle: String!, $password: String!) {\n    logIn(handle: $handle, password: $password) { token user { id handle displayName } }\n  }\n": typeof types.LogInDocument,
    "\n  mutation LogOut { logOut }\n": typeof types.LogOutDocument,
    "\n  mutation PostTweet($text: String!) { postTweet(text: $text) { id ...TweetFields } }\n": typeof types.PostTweetDocument,
    "\n  mutation PostReply($text: String!, $inReplyTo: ID!) {\n    postTweet(text: $text, inReplyTo: $inReplyTo) { id ...TweetFields }\n  }\n": typeof types.PostReplyDocument,
    "\n  fragment ReplyCountFields on Tweet { id replyCount }\n": typeof types.ReplyCountFieldsFragmentDoc,
    "\n  mutation DeleteTweet($id: ID!) { deleteTweet(id: $id) }\n": typeof types.DeleteTweetDocument,
    "\n  mutation Like($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }\n": typeof types.LikeDocument,
    "\n  mutation Unlike($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }\n": typeof types.UnlikeDocument,
    "\n  mutation Repost($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }\n": typeof types.RepostDocument,
    "\n  mutation Unrepost($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }\n": typeof types.UnrepostDocument,
    "\n  query TweetPage($id: ID!) {\n    tweet(id: $id) {\n      id\n      ...TweetFields\n      inReplyTo {\n        id\n        author { id handle }\n        ...TweetFields\n        inReplyTo { id ...TweetFields inReplyTo { id ...TweetFields inReplyTo { id } } }\n      }\n    }\n  }\n": typeof types.TweetPageDocument,
    "\n  query TweetRepliesPage($id: ID!, $after: String) {\n    tweet(id: $id) {\n      id\n      replies(first: 10, after: $after) {\n        edges { cursor node { id author { id handle } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.TweetRepliesPageDocument,
    "\n  query Profile($handle: String!) {\n    user(handle: $handle) {\n      id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity viewerFollows\n      followsViewer viewerMutes viewerBlocks viewerShowsReposts\n    }\n  }\n": typeof types.ProfileDocument,
    "\n  query ProfileTweetsPage($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      tweets(first: 20, after: $after) {\n        edges { cursor node { id inReplyTo { id author { id handle } } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.ProfileTweetsPageDocument,
    "\n  query Followers($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.FollowersDocument,
    "\n  query Following($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.FollowingDocument,
    "\n  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n": typeof types.FollowDocument,
    "\n  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n": typeof types.UnfollowDocument,
    "\n  mutation SetShowReposts($handle: String!, $showReposts: Boolean!) {\n    follow(handle: $handle, showReposts: $showReposts) { id viewerFollows viewerShowsReposts followerCount }\n  }\n": typeof types.SetShowRepostsDocument,
    "\n  fragment RelationFields on User {\n    id viewerFollows followsViewer viewerMutes viewerBlocks viewerShowsReposts followerCount followingCount\n  }\n": typeof types.RelationFieldsFragmentDoc,
    "\n  mutation Mute($handle: String!) {\n    mute(handle: $handle) { id ...RelationFields }\n  }\n": typeof types.MuteDocument,
    "\n  mutation Unmute($handle: String!) {\n    unmute(handle: $handle) { id ...RelationFields }\n  }\n": typeof types.UnmuteDocument,
    "\n  mutation Block($handle: String!) {\n    block(handle: $handle) { id ...RelationFields }\n  }\n": typeof types.BlockDocument,
    "\n  mutation Unblock($handle: String!) {\n    unblock(handle: $handle) { id ...RelationFields }\n  }\n": typeof types.UnblockDocument,
    "\n  query Search($query: String!) { searchUsers(query: $query, first: 20) { ...UserRowFields } }\n": typeof types.SearchDocument,
    "\n  query Sidebar {\n    viewer { id }\n    suggestedUsers(first: 5) { ...UserRowFields }\n    trending(first: 5) { id ...TweetFields author { ...UserRowFields } }\n  }\n": typeof types.SidebarDocument,
    "\n  mutation UpdateProfile($displayName: String, $bio: String) {\n    updateProfile(displayName: $displayName, bio: $bio) { id handle displayName bio }\n  }\n": typeof types.UpdateProfileDocument,
};
const documents: Documents = {
    "\n  fragment TweetFields on Tweet {\n    id\n    text\n    createdAt\n    likeCount\n    viewerHasLiked\n    replyCount\n    repostCount\n    viewerHasReposted\n    author { id handle displayName isCelebrity }\n  }\n": types.TweetFieldsFragmentDoc,
    "\n  fragment UserRowFields on User { id handle displayName bio isCelebrity followerCount viewerFollows followsViewer }\n": types.UserRowFieldsFragmentDoc,
    "\n  query Viewer { viewer { id handle displayName } }\n": types.ViewerDocument,
    "\n  query Home($first: Int, $after: String) {\n    homeTimeline(first: $first, after: $after) {\n      edges { cursor source repostedBy { id handle displayName } node { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.HomeDocument,
    "\n  subscription TimelineEvents($after: String) {\n    homeTimelineEvents(after: $after) {\n      kind tweetId cursor source\n      repostedBy { id handle displayName }\n      tweet { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields }\n    }\n  }\n": types.TimelineEventsDocument,
    "\n  mutation SignUp($handle: String!, $password: String!, $displayName: String) {\n    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName } }\n  }\n": types.SignUpDocument,
    "\n  mutation LogIn($handle: String!, $password: String!) {\n    logIn(handle: $handle, password: $password) { token user { id handle displayName } }\n  }\n": types.LogInDocument,
    "\n  mutation LogOut { logOut }\n": types.LogOutDocument,
    "\n  mutation PostTweet($text: String!) { postTweet(text: $text) { id ...TweetFields } }\n": types.PostTweetDocument,
    "\n  mutation PostReply($text: String!, $inReplyTo: ID!) {\n    postTweet(text: $text, inReplyTo: $inReplyTo) { id ...TweetFields }\n  }\n": types.PostReplyDocument,
    "\n  fragment ReplyCountFields on Tweet { id replyCount }\n": types.ReplyCountFieldsFragmentDoc,
    "\n  mutation DeleteTweet($id: ID!) { deleteTweet(id: $id) }\n": types.DeleteTweetDocument,
    "\n  mutation Like($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }\n": types.LikeDocument,
    "\n  mutation Unlike($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }\n": types.UnlikeDocument,
    "\n  mutation Repost($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }\n": types.RepostDocument,
    "\n  mutation Unrepost($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }\n": types.UnrepostDocument,
    "\n  query TweetPage($id: ID!) {\n    tweet(id: $id) {\n      id\n      ...TweetFields\n      inReplyTo {\n        id\n        author { id handle }\n        ...TweetFields\n        inReplyTo { id ...TweetFields inReplyTo { id ...TweetFields inReplyTo { id } } }\n      }\n    }\n  }\n": types.TweetPageDocument,
    "\n  query TweetRepliesPage($id: ID!, $after: String) {\n    tweet(id: $id) {\n      id\n      replies(first: 10, after: $after) {\n        edges { cursor node { id author { id handle } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.TweetRepliesPageDocument,
    "\n  query Profile($handle: String!) {\n    user(handle: $handle) {\n      id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity viewerFollows\n      followsViewer viewerMutes viewerBlocks viewerShowsReposts\n    }\n  }\n": types.ProfileDocument,
    "\n  query ProfileTweetsPage($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      tweets(first: 20, after: $after) {\n        edges { cursor node { id inReplyTo { id author { id handle } } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.ProfileTweetsPageDocument,
    "\n  query Followers($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.FollowersDocument,
    "\n  query Following($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.FollowingDocument,
    "\n  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n": types.FollowDocument,
    "\n  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n": types.UnfollowDocument,
    "\n  mutation SetShowReposts($handle: String!, $showReposts: Boolean!) {\n    follow(handle: $handle, showReposts: $showReposts) { id viewerFollows viewerShowsReposts followerCount }\n  }\n": types.SetShowRepostsDocument,
    "\n  fragment RelationFields on User {\n    id viewerFollows followsViewer viewerMutes viewerBlocks viewerShowsReposts followerCount followingCount\n  }\n": types.RelationFieldsFragmentDoc,
    "\n  mutation Mute($handle: String!) {\n    mute(handle: $handle) { id ...RelationFields }\n  }\n": types.MuteDocument,
    "\n  mutation Unmute($handle: String!) {\n    unmute(handle: $handle) { id ...RelationFields }\n  }\n": types.UnmuteDocument,
    "\n  mutation Block($handle: String!) {\n    block(handle: $handle) { id ...RelationFields }\n  }\n": types.BlockDocument,
    "\n  mutation Unblock($handle: String!) {\n    unblock(handle: $handle) { id ...RelationFields }\n  }\n": types.UnblockDocument,
    "\n  query Search($query: String!) { searchUsers(query: $query, first: 20) { ...UserRowFields } }\n": types.SearchDocument,
    "\n  query Sidebar {\n    viewer { id }\n    suggestedUsers(first: 5) { ...UserRowFields }\n    trending(first: 5) { id ...TweetFields author { ...UserRowFields } }\n  }\n": types.SidebarDocument,
    "\n  mutation UpdateProfile($displayName: String, $bio: String) {\n    updateProfile(displayName: $displayName, bio: $bio) { id handle displayName bio }\n  }\n": types.UpdateProfileDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TweetFields on Tweet {\n    id\n    text\n    createdAt\n    likeCount\n    viewerHasLiked\n    replyCount\n    repostCount\n    viewerHasReposted\n    author { id handle displayName isCelebrity }\n  }\n"): (typeof documents)["\n  fragment TweetFields on Tweet {\n    id\n    text\n    createdAt\n    likeCount\n    viewerHasLiked\n    replyCount\n    repostCount\n    viewerHasReposted\n    author { id handle displayName isCelebrity }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserRowFields on User { id handle displayName bio isCelebrity followerCount viewerFollows followsViewer }\n"): (typeof documents)["\n  fragment UserRowFields on User { id handle displayName bio isCelebrity followerCount viewerFollows followsViewer }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer { viewer { id handle displayName } }\n"): (typeof documents)["\n  query Viewer { viewer { id handle displayName } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Home($first: Int, $after: String) {\n    homeTimeline(first: $first, after: $after) {\n      edges { cursor source repostedBy { id handle displayName } node { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query Home($first: Int, $after: String) {\n    homeTimeline(first: $first, after: $after) {\n      edges { cursor source repostedBy { id handle displayName } node { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TimelineEvents($after: String) {\n    homeTimelineEvents(after: $after) {\n      kind tweetId cursor source\n      repostedBy { id handle displayName }\n      tweet { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields }\n    }\n  }\n"): (typeof documents)["\n  subscription TimelineEvents($after: String) {\n    homeTimelineEvents(after: $after) {\n      kind tweetId cursor source\n      repostedBy { id handle displayName }\n      tweet { id author { id handle } inReplyTo { id author { id handle } } ...TweetFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($handle: String!, $password: String!, $displayName: String) {\n    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName } }\n  }\n"): (typeof documents)["\n  mutation SignUp($handle: String!, $password: String!, $displayName: String) {\n    signUp(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($handle: String!, $password: String!) {\n    logIn(handle: $handle, password: $password) { token user { id handle displayName } }\n  }\n"): (typeof documents)["\n  mutation LogIn($handle: String!, $password: String!) {\n    logIn(handle: $handle, password: $password) { token user { id handle displayName } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut { logOut }\n"): (typeof documents)["\n  mutation LogOut { logOut }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PostTweet($text: String!) { postTweet(text: $text) { id ...TweetFields } }\n"): (typeof documents)["\n  mutation PostTweet($text: String!) { postTweet(text: $text) { id ...TweetFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PostReply($text: String!, $inReplyTo: ID!) {\n    postTweet(text: $text, inReplyTo: $inReplyTo) { id ...TweetFields }\n  }\n"): (typeof documents)["\n  mutation PostReply($text: String!, $inReplyTo: ID!) {\n    postTweet(text: $text, inReplyTo: $inReplyTo) { id ...TweetFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ReplyCountFields on Tweet { id replyCount }\n"): (typeof documents)["\n  fragment ReplyCountFields on Tweet { id replyCount }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteTweet($id: ID!) { deleteTweet(id: $id) }\n"): (typeof documents)["\n  mutation DeleteTweet($id: ID!) { deleteTweet(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Like($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }\n"): (typeof documents)["\n  mutation Like($id: ID!) { likeTweet(id: $id) { id likeCount viewerHasLiked } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unlike($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }\n"): (typeof documents)["\n  mutation Unlike($id: ID!) { unlikeTweet(id: $id) { id likeCount viewerHasLiked } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Repost($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }\n"): (typeof documents)["\n  mutation Repost($id: ID!) { repost(id: $id) { id repostCount viewerHasReposted } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unrepost($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }\n"): (typeof documents)["\n  mutation Unrepost($id: ID!) { unrepost(id: $id) { id repostCount viewerHasReposted } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TweetPage($id: ID!) {\n    tweet(id: $id) {\n      id\n      ...TweetFields\n      inReplyTo {\n        id\n        author { id handle }\n        ...TweetFields\n        inReplyTo { id ...TweetFields inReplyTo { id ...TweetFields inReplyTo { id } } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TweetPage($id: ID!) {\n    tweet(id: $id) {\n      id\n      ...TweetFields\n      inReplyTo {\n        id\n        author { id handle }\n        ...TweetFields\n        inReplyTo { id ...TweetFields inReplyTo { id ...TweetFields inReplyTo { id } } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TweetRepliesPage($id: ID!, $after: String) {\n    tweet(id: $id) {\n      id\n      replies(first: 10, after: $after) {\n        edges { cursor node { id author { id handle } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query TweetRepliesPage($id: ID!, $after: String) {\n    tweet(id: $id) {\n      id\n      replies(first: 10, after: $after) {\n        edges { cursor node { id author { id handle } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Profile($handle: String!) {\n    user(handle: $handle) {\n      id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity viewerFollows\n      followsViewer viewerMutes viewerBlocks viewerShowsReposts\n    }\n  }\n"): (typeof documents)["\n  query Profile($handle: String!) {\n    user(handle: $handle) {\n      id handle displayName bio createdAt followerCount followingCount tweetCount isCelebrity viewerFollows\n      followsViewer viewerMutes viewerBlocks viewerShowsReposts\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProfileTweetsPage($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      tweets(first: 20, after: $after) {\n        edges { cursor node { id inReplyTo { id author { id handle } } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ProfileTweetsPage($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      tweets(first: 20, after: $after) {\n        edges { cursor node { id inReplyTo { id author { id handle } } ...TweetFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Followers($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Followers($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Following($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Following($handle: String!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: 20, after: $after) {\n        totalCount\n        edges { cursor node { ...UserRowFields } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n"): (typeof documents)["\n  mutation Follow($handle: String!) { follow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n"): (typeof documents)["\n  mutation Unfollow($handle: String!) { unfollow(handle: $handle) { id viewerFollows viewerShowsReposts followerCount } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetShowReposts($handle: String!, $showReposts: Boolean!) {\n    follow(handle: $handle, showReposts: $showReposts) { id viewerFollows viewerShowsReposts followerCount }\n  }\n"): (typeof documents)["\n  mutation SetShowReposts($handle: String!, $showReposts: Boolean!) {\n    follow(handle: $handle, showReposts: $showReposts) { id viewerFollows viewerShowsReposts followerCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RelationFields on User {\n    id viewerFollows followsViewer viewerMutes viewerBlocks viewerShowsReposts followerCount followingCount\n  }\n"): (typeof documents)["\n  fragment RelationFields on User {\n    id viewerFollows followsViewer viewerMutes viewerBlocks viewerShowsReposts followerCount followingCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Mute($handle: String!) {\n    mute(handle: $handle) { id ...RelationFields }\n  }\n"): (typeof documents)["\n  mutation Mute($handle: String!) {\n    mute(handle: $handle) { id ...RelationFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unmute($handle: String!) {\n    unmute(handle: $handle) { id ...RelationFields }\n  }\n"): (typeof documents)["\n  mutation Unmute($handle: String!) {\n    unmute(handle: $handle) { id ...RelationFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Block($handle: String!) {\n    block(handle: $handle) { id ...RelationFields }\n  }\n"): (typeof documents)["\n  mutation Block($handle: String!) {\n    block(handle: $handle) { id ...RelationFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unblock($handle: String!) {\n    unblock(handle: $handle) { id ...RelationFields }\n  }\n"): (typeof documents)["\n  mutation Unblock($handle: String!) {\n    unblock(handle: $handle) { id ...RelationFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Search($query: String!) { searchUsers(query: $query, first: 20) { ...UserRowFields } }\n"): (typeof documents)["\n  query Search($query: String!) { searchUsers(query: $query, first: 20) { ...UserRowFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sidebar {\n    viewer { id }\n    suggestedUsers(first: 5) { ...UserRowFields }\n    trending(first: 5) { id ...TweetFields author { ...UserRowFields } }\n  }\n"): (typeof documents)["\n  query Sidebar {\n    viewer { id }\n    suggestedUsers(first: 5) { ...UserRowFields }\n    trending(first: 5) { id ...TweetFields author { ...UserRowFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateProfile($displayName: String, $bio: String) {\n    updateProfile(displayName: $displayName, bio: $bio) { id handle displayName bio }\n  }\n"): (typeof documents)["\n  mutation UpdateProfile($displayName: String, $bio: String) {\n    updateProfile(displayName: $displayName, bio: $bio) { id handle displayName bio }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;