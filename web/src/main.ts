import { createPinia } from "pinia";
import { createApp } from "vue";
import App from "./App.vue";
import { makeRouter } from "./router";
import { useSession } from "./stores/session";
import "./style.css";

const app = createApp(App);
app.use(createPinia());
const router = makeRouter();
app.use(router);
// Any 401 (expired, revoked, logged out elsewhere) ends the session: back to the home page.
useSession().onEnd(() => void router.replace({ name: "home" }));
app.mount("#app");
