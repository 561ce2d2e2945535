import type { Provider } from '../graphql/operations.ts';

export function CollectionPicker({ collections, value, onChange }: { collections: Provider['collections']; value: string[]; onChange: (ids: string[]) => void }) {
  const toggle = (id: string, on: boolean) => onChange(on ? [...value, id] : value.filter((v) => v !== id));
  return (
    <>
      <p className="hint">A collection is a type of API object, like a Stripe customer or a Shopify order.</p>
      <div className="checkbox-grid">
        {collections.map((collection) => (
          <label key={collection.id} className="checkbox">
            <input type="checkbox" checked={value.includes(collection.id)} onChange={(e) => toggle(collection.id, e.target.checked)} />
            {collection.name} <span className="muted mono">{collection.id}</span>
          </label>
        ))}
      </div>
      <div className="actions">
        <button type="button" className="secondary small" onClick={() => onChange(collections.map((c) => c.id))}>
          Select all
        </button>
        <button type="button" className="secondary small" onClick={() => onChange([])}>
          Clear
        </button>
      </div>
    </>
  );
}
