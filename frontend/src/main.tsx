import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { init, pageview } from './tracker';
import './styles.css';

init({ site: import.meta.env.VITE_TRACKER_SITE || 'default' });
pageview();

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
