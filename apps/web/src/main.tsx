import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { queryClient } from './api.js';
import { App } from './app/App.js';
import { AnnouncerProvider } from './app/states.js';
import { I18nProvider } from './i18n/index.js';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <I18nProvider>
          <AnnouncerProvider>
            <App />
          </AnnouncerProvider>
        </I18nProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}
