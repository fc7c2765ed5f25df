import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { useSession } from "./stores/session";

// Every path here is also served index.html by the gateway (gateway/gateway/spa.py's
// APP_PATHS): keep the two lists the same.
const routes: RouteRecordRaw[] = [
  { path: "/", name: "home", component: () => import("./views/HomeView.vue") },
  {
    path: "/playlists",
    name: "playlists",
    component: () => import("./views/PlaylistsView.vue"),
    meta: { auth: true },
  },
  {
    path: "/playlists/:id",
    name: "playlist",
    component: () => import("./views/PlaylistView.vue"),
    props: true,
    meta: { auth: true },
  },
  {
    path: "/playlists/:id/history",
    name: "playlist-history",
    component: () => import("./views/HistoryView.vue"),
    props: true,
    meta: { auth: true },
  },
  {
    path: "/tracks/:id/history",
    name: "track-history",
    component: () => import("./views/TrackHistoryView.vue"),
    props: true,
    meta: { auth: true },
  },
  { path: "/liked", name: "liked", component: () => import("./views/LikedView.vue"), meta: { auth: true } },
  { path: "/albums", name: "albums", component: () => import("./views/AlbumsView.vue"), meta: { auth: true } },
  { path: "/artists", name: "artists", component: () => import("./views/ArtistsView.vue"), meta: { auth: true } },
  { path: "/saves", name: "saves", component: () => import("./views/SavesView.vue"), meta: { auth: true } },
  {
    path: "/downloads",
    name: "downloads",
    component: () => import("./views/DownloadsView.vue"),
    meta: { auth: true },
  },
  {
    path: "/restore",
    name: "restore",
    component: () => import("./views/RestoreView.vue"),
    meta: { auth: true },
  },
  {
    path: "/changes",
    name: "changes",
    component: () => import("./views/ChangesView.vue"),
    meta: { auth: true },
  },
  { path: "/:rest(.*)*", name: "not-found", component: () => import("./views/NotFoundView.vue") },
];

export function makeRouter() {
  const router = createRouter({ history: createWebHistory(), routes });
  router.beforeEach((to) => {
    const session = useSession();
    // Not awaited: the page loads while /api/v1/me checks the token (a 401 ends it).
    if (!session.checked) void session.start();
    // The login's token came in the fragment: the router would write it back into the
    // address bar (and the history) with the route, so the route loses it.
    if (/(?:^#|&)token=/.test(to.hash)) return { path: to.path, query: to.query, hash: "", replace: true };
    if (to.meta.auth && !session.token) return { name: "home" };
    if (to.name === "home" && session.token) return { name: "playlists" };
    return true;
  });
  return router;
}
