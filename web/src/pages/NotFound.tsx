import { Link } from '../history-router.tsx';

export function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/streams">Back to streams</Link>
      </p>
    </section>
  );
}
