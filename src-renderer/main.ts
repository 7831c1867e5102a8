// Renderer entry: Vue, Pinia, the router and the theme.
import './zod-jitless';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { takeToken } from './api/connection';
import App from './App.vue';
import { createAppRouter } from './router';
import './styles/theme.css';

// The access token arrives in the URL fragment; take it before the router reads the fragment as a route.
takeToken(window.location, window.sessionStorage, window.history);

createApp(App).use(createPinia()).use(createAppRouter()).mount('#app');
